/**
 * Expected failures carry a code; the Slack layer turns each code into one sentence for the person
 * (see slack/error-text.ts). Anything that is not an AppError is unexpected and goes to the error handler.
 */
export type ErrorCode =
  | 'not_found'
  | 'not_allowed'
  | 'guest_not_allowed'
  | 'not_approver'
  | 'self_approval'
  | 'already_decided'
  | 'already_approved'
  | 'not_admin'
  | 'managed_by_file'
  | 'managed_by_sync'
  | 'name_taken'
  | 'too_soon'
  | 'not_active'
  | 'invalid_input'
  | 'nothing_requestable'
  | 'database_unavailable'
  /** Identity linking and step-up (domain/identity-link.ts, docs/identity.md). */
  | 'not_linked'
  | 'step_up_required'
  | 'mfa_required'
  | 'sign_in_failed'
  | 'identity_taken'
  /** A first link whose verified e-mail is not the Slack profile's (a forwarded sign-in link, or no e-mail to compare). */
  | 'identity_mismatch'
  | 'oidc_not_configured'
  /** A click or form whose id is missing or malformed: Slack never sends one, a forger or a stale client might. */
  | 'stale_reference'
  /** Access reviews (domain/access-review.ts). */
  | 'not_reviewer'
  | 'self_review'
  | 'review_item_decided'
  | 'review_closed';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** The error and what it wraps (`cause`; drizzle wraps the driver's error), outermost first, at most 5 deep. */
export function causeChain(error: unknown): Array<Record<string, unknown>> {
  const chain: Array<Record<string, unknown>> = [];
  for (let e = error; chain.length < 5 && e && typeof e === 'object'; e = (e as { cause?: unknown }).cause)
    chain.push(e as Record<string, unknown>);
  return chain;
}
