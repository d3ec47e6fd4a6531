/** The error code of a failed Web API call (`not_in_channel`, `hash_conflict`…): WebClient puts Slack's answer in `data`. */
export const slackErrorCode = (e: unknown): string | undefined =>
  (e as { data?: { error?: string } } | null)?.data?.error;
