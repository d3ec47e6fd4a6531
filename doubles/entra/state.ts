import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A seeded directory user; `id` is the object id Graph uses everywhere. */
export interface DoubleUser {
  id: string;
  mail: string | null;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
  /** The object id of the user's manager (`GET /users/{id}/manager`); none when absent. */
  managerId?: string | null;
}

export interface DoubleGroup {
  id: string;
  displayName: string;
  /** Role-assignable groups: changing members also needs RoleManagement.ReadWrite.Directory. */
  isAssignableToRole: boolean;
  /** Direct members' object ids, in the order they were added. */
  members: string[];
  description?: string | null;
  /** `Unified` (Microsoft 365), `DynamicMembership`; empty for a security group. */
  groupTypes?: string[];
  mailEnabled?: boolean;
  securityEnabled?: boolean;
  /** Directory extension values, `extension_<app id>_<name>`: value. */
  extensions?: Record<string, string | number | boolean>;
}

/** An app registration with a client secret and the application permissions an admin consented to. */
export interface DoubleApp {
  clientId: string;
  secret: string;
  roles: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A queued fault: the next `left` matching Graph (or token) requests answer `status`. */
export interface Fault {
  left: number;
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
  /** Only requests whose method and path match (e.g. /POST .*\/members\/\$ref/); all when absent. */
  match?: RegExp;
}

export interface TokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  roles: string[];
  iat: number;
  nbf: number;
  exp: number;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * The double's directory and its signing key. Tokens are JWTs signed with a per-start HMAC key
 * (real Entra signs RS256 with published keys): Graph here checks signature, audience, tenant and
 * lifetime, so a made-up, expired or other-tenant token is refused as it would be.
 */
export class EntraState {
  readonly users = new Map<string, DoubleUser>();
  readonly groups = new Map<string, DoubleGroup>();
  readonly apps = new Map<string, DoubleApp>();
  readonly requests: RecordedRequest[] = [];
  readonly graphFaults: Fault[] = [];
  readonly tokenFaults: Fault[] = [];
  tokensIssued = 0;
  /** The most groups one `GET /groups` page holds (Graph's server-driven paging); small in tests. */
  groupPageSize = 999;
  /** Seconds a token lives (`expires_in`); real Entra issues 60-90 minutes. */
  tokenLifetime = 3599;
  private readonly key = Buffer.from(randomUUID() + randomUUID());

  constructor(
    readonly tenantId: string,
    /** The Graph resource the tokens are for (`aud`), i.e. the double's own origin. */
    public audience: string,
    public issuerBase: string,
  ) {}

  issueToken(app: DoubleApp, nowSeconds: number): string {
    const claims: TokenClaims = {
      aud: this.audience,
      iss: `${this.issuerBase}/${this.tenantId}/v2.0`,
      tid: this.tenantId,
      appid: app.clientId,
      roles: [...app.roles],
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + this.tokenLifetime,
    };
    const head = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }))}.${b64url(JSON.stringify(claims))}`;
    this.tokensIssued += 1;
    return `${head}.${b64url(createHmac('sha256', this.key).update(head).digest())}`;
  }

  /** The claims of a valid token, or a sentence saying why it is not (Graph's wording). */
  verifyToken(token: string, nowSeconds: number): TokenClaims | string {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return 'IDX14100: JWT is not well formed, there are no dots (.).';
    const expected = createHmac('sha256', this.key).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return 'Access token validation failure. Invalid signature.';
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return 'Access token validation failure.';
    }
    if (claims.aud !== this.audience) return 'Access token validation failure. Invalid audience.';
    if (claims.tid !== this.tenantId) return 'Access token validation failure. Invalid issuer.';
    if (claims.exp <= nowSeconds) return 'Lifetime validation failed, the token is expired.';
    return claims;
  }

  /** Takes the first queued fault matching this request, if any. */
  static takeFault(faults: Fault[], method: string, path: string): Fault | undefined {
    const i = faults.findIndex((f) => f.left > 0 && (!f.match || f.match.test(`${method} ${path}`)));
    if (i < 0) return undefined;
    const fault = faults[i]!;
    fault.left -= 1;
    if (fault.left === 0) faults.splice(i, 1);
    return fault;
  }

  userByKey(key: string): DoubleUser | undefined {
    const k = key.toLowerCase();
    return [...this.users.values()].find((u) => u.id === key || u.userPrincipalName.toLowerCase() === k);
  }
}
