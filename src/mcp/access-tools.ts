import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ApiError, bundlePickOf, type AccessApi } from '../domain/request-api.js';
import {
  durationMinutes,
  ListMineInput,
  RequestableOutput,
  RequestAccessInput,
  RequestIdInput,
  RequestOutput,
  RequestsOutput,
  WaitInput,
  WaitOutput,
} from './tool-shapes.js';
import {
  createdText,
  listText,
  PERSON_APPROVES,
  refusalText,
  requestableText,
  requestText,
  waitText,
} from './tool-text.js';

/** The tools, by name: tests hold the list to exactly these (none approves, denies or revokes another's access). */
export const ACCESS_TOOL_NAMES = [
  'list_requestable_resources',
  'request_access',
  'get_request_status',
  'list_my_requests',
  'wait_for_decision',
  'release_access',
  'cancel_request',
] as const;

export const SERVER_INFO = { name: 'access-requests', version: '1.0.0' } as const;

/** Told to the agent at initialize: how the tools fit together, and what it can never do. */
export const SERVER_INSTRUCTIONS = [
  'Just-in-time access for the person whose token this is: request time-limited access to databases, cloud',
  'roles, groups and servers, check on requests, and give access back early.',
  'Start with list_requestable_resources; request only what the task needs, for no longer than it needs, with',
  'an honest justification naming the task, incident or ticket. Every request names you (the agent) to the approver.',
  `${PERSON_APPROVES} Never claim access was granted until get_request_status or wait_for_decision says it is active.`,
  'Credentials (passwords) go to the person in Slack, never through these tools.',
].join(' ');

const DEFAULT_WAIT_SECONDS = 60;

/**
 * Where the tools report what went wrong on their side: the bot's pino logger for `/mcp`, stderr lines for
 * `access-requests mcp` (the CLI carries no logger library: it runs on laptops, eslint.config.js).
 */
export interface McpLogger {
  error(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
}

type Structured = Record<string, unknown>;

/** A tool's answer: the readable text first, the same facts as JSON beside it (the spec's advice), and structured. */
function answer(text: string, structured: Structured): CallToolResult {
  return {
    content: [
      { type: 'text', text },
      { type: 'text', text: JSON.stringify(structured) },
    ],
    structuredContent: structured,
  };
}

function refusal(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * Registers the access tools on `server`, acting for one person through `api` (their AccessApi: in
 * process for `/mcp`, over HTTP for `access-requests mcp`). There is deliberately no tool to approve, deny
 * or revoke: the API has no such route either, so an agent can never decide a request, its own or anyone's.
 */
export function registerAccessTools(server: McpServer, api: AccessApi, logger: McpLogger) {
  // A refusal is a tool result the agent reads (isError + the API's sentence); anything unexpected is
  // logged here and told as one sentence, so no stack or internal message reaches the agent.
  const run = async (tool: string, work: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError) return refusal(refusalText(error.body));
      logger.error({ err: error, tool }, 'MCP tool failed');
      return refusal(
        'The access bot could not answer just now (an error on its side, logged for the admins). ' +
          'Check with get_request_status or list_my_requests before trying again.',
      );
    }
  };

  server.registerTool(
    'list_requestable_resources',
    {
      title: 'List what I may request',
      description:
        'Lists the resources the person may request, each with its flow, the longest duration allowed and the ' +
        'justification rules (required, minimum length, pattern, Jira ticket), and the bundles (access profiles) ' +
        'the person may pick, with their parts. Call it before request_access.',
      outputSchema: RequestableOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      run('list_requestable_resources', async () => {
        const [resources, bundles] = await Promise.all([api.requestable(), api.bundles()]);
        return answer(requestableText(resources, bundles), { resources, bundles });
      }),
  );

  server.registerTool(
    'request_access',
    {
      title: 'Request access',
      description:
        'Asks for time-limited access to one or more resources for the person. A justification is required ' +
        '(and a resource may require more: see list_requestable_resources). Returns the request ids and who ' +
        `was asked. Nothing is granted by this call: ${PERSON_APPROVES} Then use wait_for_decision.`,
      inputSchema: RequestAccessInput,
      outputSchema: RequestsOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (input) =>
      run('request_access', async () => {
        // Without a bundle, the resources and duration are the request; a bundle brings its own.
        if (!input.bundle && (!input.resources?.length || input.duration === undefined))
          return refusal(
            'Name the resources and the duration (see list_requestable_resources), or a bundle to request its parts.',
          );
        const requests = await api.create(
          {
            ...(input.resources ? { resources: input.resources } : {}),
            ...(input.duration !== undefined ? { duration_minutes: durationMinutes(input.duration)! } : {}),
            ...(input.bundle ? { bundle: input.bundle } : {}),
            justification: input.justification,
            ...(input.starts_at ? { starts_at: input.starts_at } : {}),
            ...(input.ssh_public_key ? { ssh_public_key: input.ssh_public_key } : {}),
            ...(input.fields ? { fields: input.fields } : {}),
          },
          input.idempotency_key,
        );
        const bundle = bundlePickOf(requests);
        return answer(createdText(requests), { requests, ...(bundle ? { bundle } : {}) });
      }),
  );

  server.registerTool(
    'get_request_status',
    {
      title: 'Get a request',
      description:
        "One of the person's requests: its status, who was asked, approvals so far, the grant's expiry and, " +
        'once active, how to use the access.',
      inputSchema: RequestIdInput,
      outputSchema: RequestOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input) =>
      run('get_request_status', async () => {
        const request = await api.get(input.request_id);
        return answer(requestText(request), { request });
      }),
  );

  server.registerTool(
    'list_my_requests',
    {
      title: 'List my requests',
      description: "The person's recent requests, newest first; filter by status (e.g. pending or active).",
      inputSchema: ListMineInput,
      outputSchema: RequestsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input) =>
      run('list_my_requests', async () => {
        const requests = await api.listMine({
          ...(input.status ? { status: input.status } : {}),
          limit: input.limit ?? 20,
        });
        return answer(listText(requests), { requests });
      }),
  );

  server.registerTool(
    'wait_for_decision',
    {
      title: 'Wait for a decision',
      description:
        'Waits until a pending request is decided (approved and set up, denied, cancelled, timed out), for up to ' +
        'timeout_seconds (at most 60), and returns it; at once if it is already decided. If it is still ' +
        'pending, call again: people may take minutes or hours.',
      inputSchema: WaitInput,
      outputSchema: WaitOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (input) =>
      run('wait_for_decision', async () => {
        const seconds = input.timeout_seconds ?? DEFAULT_WAIT_SECONDS;
        // From 'pending', not from "its status now": a decision that lands between request_access and this
        // call would otherwise be waited past until the timeout.
        const waited = await api.wait(input.request_id, { status: 'pending', timeoutSeconds: seconds });
        return answer(waitText(waited, seconds), { request: waited.request, changed: waited.changed });
      }),
  );

  server.registerTool(
    'release_access',
    {
      title: 'Release my access',
      description:
        "Ends the person's own active access of a request now, before it expires (the work is done). " +
        'It cannot be undone: access again takes a new request.',
      inputSchema: RequestIdInput,
      outputSchema: RequestOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (input) =>
      run('release_access', async () => {
        const request = await api.release(input.request_id);
        return answer(`Released.\n${requestText(request)}`, { request });
      }),
  );

  server.registerTool(
    'cancel_request',
    {
      title: 'Cancel my request',
      description:
        "Withdraws one of the person's pending requests (nobody has decided it yet); the approvers are told.",
      inputSchema: RequestIdInput,
      outputSchema: RequestOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (input) =>
      run('cancel_request', async () => {
        const request = await api.cancel(input.request_id);
        return answer(`Cancelled.\n${requestText(request)}`, { request });
      }),
  );
}

/** An MCP server with the access tools for one person. A caller connects it to a transport (stdio or HTTP). */
export function createAccessMcpServer(api: AccessApi, logger: McpLogger): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions: SERVER_INSTRUCTIONS,
    // A bound on a call's arguments before any schema runs (the largest legitimate call is ~30 elements).
    maxToolInputElements: 200,
  });
  registerAccessTools(server, api, logger);
  return server;
}
