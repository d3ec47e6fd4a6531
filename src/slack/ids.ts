/** Every Block Kit id the bot uses: listeners and builders share these, so they cannot drift apart. */
export const COMMAND = '/access';

export const RequestIds = {
  callback: 'request.submit',
  resourcesBlock: 'request.resources',
  resourcesAction: 'request.resources.select',
  durationBlock: 'request.duration',
  durationAction: 'request.duration.select',
  justificationBlock: 'request.justification',
  justificationAction: 'request.justification.input',
  openButton: 'request.open',
} as const;

export const ReviewIds = {
  actionsBlock: 'review.actions',
  approveButton: 'review.approve',
  denyButton: 'review.deny',
  revokeButton: 'review.revoke',
  tuningCallback: 'review.tuning',
  durationBlock: 'tune.duration',
  durationAction: 'tune.duration.select',
  includeBlock: 'tune.include',
  includeAction: 'tune.include.check',
  denyCallback: 'review.deny.submit',
  reasonBlock: 'deny.reason',
  reasonAction: 'deny.reason.input',
} as const;

/** Per-resource tuning inputs: block ids carry the resource name so the submission maps back to it. */
export const tuningBlock = (resource: string, field: 'login' | 'access' | 'databases' | 'role' | 'namespaces') => `tune.${field}.${resource}`;
export const tuningAction = (field: string) => `tune.${field}.value`;
export const TUNING_BLOCK = /^tune\.(login|access|databases|role|namespaces)\.(.+)$/;

export const HomeIds = {
  requestButton: RequestIds.openButton,
} as const;
