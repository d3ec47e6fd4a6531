/** Every Block Kit id the bot uses: listeners and builders share these, so they cannot drift apart. */
export const COMMAND = '/access';

export const RequestIds = {
  callback: 'request.submit',
  resourcesBlock: 'request.resources',
  bundleBlock: 'request.bundle',
  bundleAction: 'request.bundle.pick',
  resourcesAction: 'request.resources.select',
  durationBlock: 'request.duration',
  durationAction: 'request.duration.select',
  justificationBlock: 'request.justification',
  justificationAction: 'request.justification.input',
  sshKeyBlock: 'request.ssh_key',
  sshKeyAction: 'request.ssh_key.input',
  startBlock: 'request.start',
  startAction: 'request.start.pick',
  forBlock: 'request.for',
  forAction: 'request.for.pick',
  /** A flow's custom field: `request.field.<flow id>.<field name>` (two flows may share a field name). */
  fieldBlockPrefix: 'request.field.',
  fieldAction: 'request.field.value',
  openButton: 'request.open',
  cancelButton: 'request.cancel',
  nudgeButton: 'request.nudge',
  releaseButton: 'request.release',
  extendButton: 'request.extend',
  extendCallback: 'request.extend.submit',
  extendDurationBlock: 'extend.duration',
  extendDurationAction: 'extend.duration.select',
  extendReasonBlock: 'extend.reason',
  extendReasonAction: 'extend.reason.input',
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
export const tuningBlock = (
  resource: string,
  field: 'login' | 'access' | 'databases' | 'role' | 'namespaces' | 'roles' | 'permission',
) => `tune.${field}.${resource}`;
export const tuningAction = (field: string) => `tune.${field}.value`;
export const TUNING_BLOCK = /^tune\.(login|access|databases|role|namespaces)\.(.+)$/;

export const HomeIds = {
  requestButton: RequestIds.openButton,
} as const;

/** Personal tokens in App Home: the Revoke button carries the token's id (`pat_…`), never its secret. */
export const TokenIds = {
  revokeButton: 'token.revoke',
} as const;

export const HomeNav = {
  tabPrefix: 'home.tab.',
  tab: (tab: string) => `home.tab.${tab}`,
  prev: 'home.page.prev',
  next: 'home.page.next',
} as const;

export const AdminIds = {
  addFlow: 'admin.flow.add',
  flowMenu: 'admin.flow.menu',
  addResource: 'admin.resource.add',
  resourceMenu: 'admin.resource.menu',
  flowCallback: 'admin.flow.save',
  resourceCallback: 'admin.resource.save',
  deleteCallback: 'admin.delete.confirm',
  pickResources: 'admin.pick.resources',
  addBundle: 'admin.bundle.add',
  bundleMenu: 'admin.bundle.menu',
  bundleCallback: 'admin.bundle.save',
  bundleDeleteCallback: 'admin.bundle.delete',
  pickTags: 'admin.pick.tags',
  pickGroups: 'admin.pick.groups',
} as const;

/** Flow modal blocks: one block per field, each with a single element whose action id is `value`. */
export const FlowForm = {
  name: 'af.name',
  description: 'af.description',
  resources: 'af.resources',
  tags: 'af.tags',
  everyone: 'af.req.everyone',
  requesterUsers: 'af.req.users',
  requesterGroups: 'af.req.groups',
  approverUsers: 'af.appr.users',
  approverGroups: 'af.appr.groups',
  manager: 'af.manager',
  managerFallbackUsers: 'af.mgr.users',
  managerFallbackGroups: 'af.mgr.groups',
  maxDuration: 'af.max',
  choices: 'af.choices',
  approvals: 'af.approvals',
  options: 'af.options',
  minLength: 'af.just.min',
  pattern: 'af.just.pattern',
  hint: 'af.just.hint',
  jiraProjects: 'af.just.jira',
  identity: 'af.identity',
  stepUpMinutes: 'af.stepup',
  channel: 'af.channel',
  remindAfter: 'af.remind',
  escalateAfter: 'af.escalate',
  escalationUsers: 'af.esc.users',
  escalationGroups: 'af.esc.groups',
  pendingTtl: 'af.ttl',
  autoApprove: 'af.auto',
  onCallApprovers: 'af.oncall',
  breakGlassUsers: 'af.bg.users',
  breakGlassGroups: 'af.bg.groups',
  breakGlassMax: 'af.bg.max',
  breakGlassChannel: 'af.bg.channel',
  reviewEvery: 'af.review.every',
  reviewerUsers: 'af.review.users',
  reviewerGroups: 'af.review.groups',
  stages: 'af.stages',
  fields: 'af.fields',
  onBehalfUsers: 'af.behalf.users',
  onBehalfGroups: 'af.behalf.groups',
  onBehalfFor: 'af.behalf.for',
  onBehalfForUsers: 'af.behalf.for_users',
  onBehalfForGroups: 'af.behalf.for_groups',
} as const;

/** An access review's DM (slack/access-review/): a decision per person, a page's Keep, and the pager. */
export const AccessReviewIds = {
  keep: 'accessreview.keep',
  remove: 'accessreview.remove',
  keepPage: 'accessreview.keep_page',
  prev: 'accessreview.prev',
  next: 'accessreview.next',
  /** Every review action id starts with this (one listener). */
  prefix: 'accessreview.',
} as const;

/** Break-glass: the App Home button, its modal, and the approvers' "Acknowledge review" button. */
export const BreakGlassIds = {
  openButton: 'breakglass.open',
  callback: 'breakglass.submit',
  resourceBlock: 'bg.resource',
  durationBlock: 'bg.duration',
  reasonBlock: 'bg.reason',
  acknowledgeButton: 'breakglass.acknowledge',
} as const;

export const ResourceForm = {
  name: 'ar.name',
  type: 'ar.type',
  tags: 'ar.tags',
  description: 'ar.description',
  logins: 'ar.logins',
  databases: 'ar.databases',
  namespaces: 'ar.namespaces',
  roles: 'ar.roles',
  provisioner: 'ar.provisioner',
  settings: 'ar.settings',
} as const;

/** The element action id inside every form block (block ids tell the fields apart). */
export const FIELD = 'value';

/** Bundle modal blocks (slack/admin/bundle-modal.ts): one element each, its action id `value`. */
export const BundleFormIds = {
  name: 'ab.name',
  description: 'ab.description',
  resources: 'ab.resources',
  duration: 'ab.duration',
  tuning: 'ab.tuning',
} as const;

/** Identity linking and step-up (link buttons: Slack opens the URL and still sends a block_actions, acked). */
export const IdentityIds = {
  linkButton: 'identity.link',
  signInButton: 'identity.sign_in',
  homeLinkButton: 'identity.home_link',
} as const;

/** App Home's "Who can…" (admins): its button, the question modal and its fields. */
export const WhoCanIds = {
  openButton: 'whocan.open',
  callback: 'whocan.submit',
  resourceBlock: 'wc.resource',
  personBlock: 'wc.person',
} as const;
