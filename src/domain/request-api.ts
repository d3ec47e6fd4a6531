import type { RequestStatus } from './request-lifecycle.js';
import type { RequestKind, TargetStatus } from './request.js';
import type { ResourceGrant } from './policy.js';
import type { ResourceType } from './resource.js';

/**
 * The request API's vocabulary: what a person sees of their requests outside Slack (HTTP API, CLI,
 * MCP). One set of JSON shapes (snake_case, as they travel) shared by the server (services/request-api.ts
 * and http/requests-api.ts), its OpenAPI document, the CLI's client and the MCP tools, so the four never drift.
 */

/** Where a request or an action came from; Slack is the bot's own surfaces. */
export const CHANNELS = ['slack', 'api', 'cli', 'mcp'] as const;
export type Channel = (typeof CHANNELS)[number];

/** An agent's name is shown to approvers and written to the audit trail: one short printable line. */
export const MAX_AGENT_NAME = 64;

/**
 * An agent's name as it travels in `X-Access-Agent`: printable ASCII (an HTTP header carries bytes, and
 * fetch refuses anything past Latin-1), accents folded, at most MAX_AGENT_NAME characters; null when
 * nothing printable is left.
 */
export function agentHeaderValue(name: string | null | undefined): string | null {
  const clean = (name ?? '')
    .normalize('NFKD')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ +/g, ' ')
    .trim()
    .slice(0, MAX_AGENT_NAME)
    .trim();
  return clean || null;
}

/** Who acts through the API: the person a token belongs to, and what they came through. */
export interface ApiPrincipal {
  userId: string;
  /** The personal token's id (`pat_…`), never its secret. */
  tokenId: string;
  channel: Exclude<Channel, 'slack'>;
  /** The agent's name when an AI agent acts (MCP client name, or what the caller declared); null for people. */
  agent: string | null;
}

/** What a person may request, with the limits of the flow a request of it alone goes through. */
export interface RequestableDto {
  name: string;
  type: ResourceType;
  description: string | null;
  tags: string[];
  flow: string;
  max_duration_minutes: number;
  durations_minutes: number[];
  justification: { required: boolean; min_length: number; pattern: string | null; hint: string | null };
  /** Jira projects a justification must name a ticket of (empty: no ticket check). */
  ticket_projects: string[];
  /** The flow's custom request fields, as ACCESS_CONFIG writes them (domain/request-fields-file.ts); absent: none. */
  fields?: Record<string, unknown>[];
}

/**
 * A bundle (access profile, domain/bundle.ts) a person may pick: its parts with the scope each asks for,
 * the duration a pick gets when none is given, and the parts no flow lets this person request.
 */
export interface RequestableBundleDto {
  name: string;
  description: string | null;
  parts: { resource: string; requested: ResourceGrant | null }[];
  /** The bundle's duration, capped to what its parts' flows offer (null: no duration they all offer). */
  duration_minutes: number | null;
  left_out: string[];
}

/** A bundle pick as created: its parts, one request per flow. */
export interface BundlePickDto {
  id: string;
  name: string;
  parts: { request_id: string; resources: string[]; status: RequestStatus }[];
}

/** One resource of a granted request and how far its setup got; `instructions` never holds a secret. */
export interface AccessDto {
  resource: string;
  status: TargetStatus;
  instructions: string | null;
  /** Whether the target hands over a credential (password, certificate): it goes to the person's Slack DM. */
  credential: { label: string; delivered_in: 'slack_dm' } | null;
  /**
   * For SSH: the OpenSSH certificate signed for the person's public key. Not a secret (it is useless without
   * the private key, which never leaves their machine), so the CLI can write it beside the key.
   */
  ssh_certificate: string | null;
}

export interface RequestDto {
  id: string;
  kind: RequestKind;
  status: RequestStatus;
  flow: string;
  resources: { name: string; type: ResourceType }[];
  duration_minutes: number;
  justification: string;
  /** The flow's custom request fields as filled in, name -> value (domain/request-fields.ts); absent: none. */
  fields?: Record<string, string | number>;
  requester: string;
  /**
   * Slack id of who asked, when someone asked on the requester's behalf in Slack (the requester gets the
   * access); null otherwise. The API itself makes no requests on behalf of others.
   */
  requested_by?: string | null;
  created_at: string;
  decided_at: string | null;
  /** Slack id of who decided (or the rule's name for an auto-approval). */
  decided_by: string | null;
  deny_reason: string | null;
  starts_at: string | null;
  /** The extended request, for an extension. */
  extends: string | null;
  /** Slack ids of the people asked to decide. */
  approvers: string[];
  approvals: { approver: string; at: string }[];
  /** Approvals the current stage needs (the flow's N of M when it has no stages). */
  approvals_required: number;
  /**
   * Where a request of a flow with approval stages stands: the stage being decided (1-based) and the
   * stages passed, with who passed each. Null for a flow without stages.
   */
  stage: { number: number; of: number; name: string; passed: { name: string; by: string[] }[] } | null;
  grant: { id: string; status: 'active' | 'expired' | 'revoked'; starts_at: string; expires_at: string } | null;
  access: AccessDto[];
  /** The bundle pick this request is a part of; left out for a request of its own. */
  bundle?: { id: string; name: string };
  /** Where the request was made, and by which agent when one made it. */
  channel: Channel;
  agent: string | null;
  /**
   * The display names Slack has for the people this request names (requester, approvers, who approved
   * and who decided), by Slack id, so a terminal can say "Alex Approver" rather than U0ALEX. An id Slack
   * could not name is left out.
   */
  names: Record<string, string>;
}

export interface CreateRequestBody {
  /** Required without `bundle`; with it, the parts to request (default: every part this person may request). */
  resources?: string[];
  /** Required without `bundle`; with it, defaults to the bundle's duration. */
  duration_minutes?: number;
  justification: string;
  /** A bundle's name (GET /api/v1/requestable lists them): its parts, each with its requested scope. */
  bundle?: string;
  /** Optional scheduled start (ISO 8601). */
  starts_at?: string;
  /** An SSH public key line for SSH resources (saved for later certificates). */
  ssh_public_key?: string;
  /** The custom fields of the resources' flows, name -> value (a number field takes a number or its text). */
  fields?: Record<string, string | number>;
}

export interface ExtendRequestBody {
  duration_minutes: number;
  justification: string;
}

/** Every error answer: a code a program can branch on and a sentence a person can read. */
export interface ApiErrorBody {
  error: string;
  message: string;
  /** Per-field sentences for a refused request (`resources`, `duration_minutes`, `justification`, …). */
  fields?: Record<string, string>;
}

/** The long poll's answer: the request as it stands, and whether it changed from `status` before the timeout. */
export interface WaitDto {
  request: RequestDto;
  changed: boolean;
}

/**
 * The request API as one person sees it. The HTTP server maps routes onto it, the MCP server's tools
 * call it (in process for `/mcp`, over HTTP for `access-requests mcp`), and the CLI's client implements it
 * with fetch. Refusals are ApiError (code, sentence, fields), never a thrown stack.
 */
export interface AccessApi {
  requestable(): Promise<RequestableDto[]>;
  /** The bundles this person may pick (the same answer's `bundles`). */
  bundles(): Promise<RequestableBundleDto[]>;
  create(body: CreateRequestBody, idempotencyKey?: string): Promise<RequestDto[]>;
  get(id: string): Promise<RequestDto>;
  listMine(options?: { status?: RequestStatus; limit?: number }): Promise<RequestDto[]>;
  cancel(id: string): Promise<RequestDto>;
  /** Ends the person's own active access early (Slack's Release). */
  release(id: string): Promise<RequestDto>;
  extend(id: string, body: ExtendRequestBody, idempotencyKey?: string): Promise<RequestDto>;
  /**
   * Returns when the request leaves `status` (default: its status now) or after `timeoutSeconds` (max 60).
   * `signal`: the caller went away (the HTTP client hung up), so stop waiting.
   */
  wait(
    id: string,
    options?: { status?: RequestStatus; timeoutSeconds?: number; signal?: AbortSignal },
  ): Promise<WaitDto>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/** The bundle pick a create made, from its requests (all of them the pick's parts); null: no bundle. */
export function bundlePickOf(requests: readonly RequestDto[]): BundlePickDto | null {
  const bundle = requests[0]?.bundle;
  if (!bundle) return null;
  return {
    ...bundle,
    parts: requests
      .filter((r) => r.bundle?.id === bundle.id)
      .map((r) => ({ request_id: r.id, resources: r.resources.map((x) => x.name), status: r.status })),
  };
}
