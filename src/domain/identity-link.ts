/**
 * Identity linking and step-up for approval (docs/identity.md). Pure: what a flow asks of requesters'
 * and approvers' sign-ins with the company's identity provider, and whether a sign-in satisfies it.
 */

/** A flow's identity rule (ACCESS_CONFIG `identity:`). */
export interface FlowIdentityRule {
  /** Requesters must have linked their Slack user to the identity provider. */
  requireLink: boolean;
  /** Approvers (and break-glass users) must have signed in within this many minutes; null: no step-up. */
  stepUpMinutes: number | null;
  /** The step-up sign-in must have used more than one factor (amr or acr, see MFA_AMR and MFA_ACR). */
  requireMfa: boolean;
}

/** A person's link, with their last sign-in's claims. */
export interface IdentityLink {
  slackUserId: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  linkedAt: Date;
  authTime: Date | null;
  amr: string[];
  acr: string | null;
  signedInAt: Date | null;
}

/**
 * RFC 8176 methods that are a second factor or a phishing-resistant key: `mfa` itself, one-time codes,
 * hardware and software keys (WebAuthn, passkeys), smart cards, biometrics, SMS and phone confirmation.
 */
export const MFA_AMR = [
  'mfa',
  'otp',
  'hwk',
  'swk',
  'sc',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
  'sms',
  'tel',
] as const;
/**
 * ACR values that assert multi-factor authentication: OpenID EAP's phishing-resistant levels,
 * the PAPE multi-factor policy, and Okta's two-factor level.
 */
export const MFA_ACR = [
  'phr',
  'phrh',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'urn:okta:loa:2fa:any',
  'urn:okta:loa:2fa:any:ifpossible',
] as const;

export function usedMfa(link: Pick<IdentityLink, 'amr' | 'acr'>): boolean {
  return (
    link.amr.some((m) => (MFA_AMR as readonly string[]).includes(m)) ||
    (link.acr !== null && (MFA_ACR as readonly string[]).includes(link.acr))
  );
}

export type StepUpRefusal = 'step_up_required' | 'mfa_required';

/** Null when the sign-in satisfies the rule's step-up (or it has none), else why not. */
export function stepUpRefusal(
  rule: FlowIdentityRule | null | undefined,
  link: IdentityLink | null,
  now: Date,
): StepUpRefusal | null {
  if (!rule || rule.stepUpMinutes === null) return null;
  if (!link?.authTime) return 'step_up_required';
  const age = now.getTime() - link.authTime.getTime();
  // A sign-in dated in the future (clock skew beyond a minute) is no proof of a recent one.
  if (age > rule.stepUpMinutes * 60_000 || age < -60_000) return 'step_up_required';
  if (rule.requireMfa && !usedMfa(link)) return 'mfa_required';
  return null;
}

/** What a decision's audit event records of the sign-in it relied on (never tokens). */
export function stepUpClaims(link: IdentityLink) {
  return {
    issuer: link.issuer,
    subject: link.subject,
    auth_time: link.authTime?.toISOString() ?? null,
    amr: link.amr,
    acr: link.acr,
  };
}

/** The e-mail provisioners and the authorization API map a person by: the linked one when verified. */
export function mappedEmail(
  link: Pick<IdentityLink, 'email' | 'emailVerified'> | null | undefined,
  slackEmail: string | null,
): string | null {
  return link?.email && link.emailVerified ? link.email : slackEmail;
}

export type FirstLinkRefusal = 'no_verified_email' | 'no_slack_email' | 'email_mismatch';

/**
 * A first link ties a company identity to a Slack user for good (only an admin undoes it), so the sign-in
 * must show it is that person: the provider's verified e-mail equals the Slack profile's. Without the
 * comparison, whoever opens a forwarded sign-in link links their own identity to someone else's Slack user.
 */
export function firstLinkRefusal(
  claims: { email: string | null; emailVerified: boolean },
  slackEmail: string | null,
): FirstLinkRefusal | null {
  if (!claims.email || !claims.emailVerified) return 'no_verified_email';
  if (!slackEmail) return 'no_slack_email';
  return claims.email.toLowerCase() === slackEmail.toLowerCase() ? null : 'email_mismatch';
}

/**
 * A step-up sign-in asks the provider to authenticate again (prompt=login, max_age=0): the answer's
 * auth_time must come after the sign-in started, a minute of clock skew allowed. A provider that ignored
 * the request returns the earlier auth_time, which proves nothing about who is at the keyboard now.
 */
export function reauthenticated(authTime: Date | null, startedAt: Date): boolean {
  return authTime !== null && authTime.getTime() >= startedAt.getTime() - 60_000;
}
