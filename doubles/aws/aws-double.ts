import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError, createIdentityCenterState, type Assignment, type DoubleUser } from './operations.js';
import { verifySigV4, type AwsCredentials } from './sigv4.js';

/**
 * AWS IAM Identity Center (sso-admin) and its identity store as one HTTP server speaking the AWS
 * JSON 1.1 protocol the SDK v3 clients send: POST /, `X-Amz-Target: SWBExternalService.<Op>` (signed
 * for service `sso`) or `AWSIdentityStore.<Op>` (service `identitystore`), every request checked for a
 * valid SigV4 signature. See README.md for what it models and what it does not.
 */
export const AWS_DOUBLE_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIAIDCDOUBLE0000001',
  secretAccessKey: 'double/secret/key/0123456789abcdefghijkl',
};
export const AWS_DOUBLE_INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-7223000000double';
export const AWS_DOUBLE_IDENTITY_STORE_ID = 'd-9067000000';

export interface AwsDoubleOptions {
  region?: string;
  credentials?: AwsCredentials;
  instanceArn?: string;
  identityStoreId?: string;
  /** The organization's account ids assignments may target. */
  accounts?: string[];
  /** Permission sets of the instance, by name (names are for tests; AWS knows only the ARNs). */
  permissionSets?: Record<string, string>;
  users?: (Omit<DoubleUser, 'userId'> & { userId?: string })[];
  /** How many describe calls answer IN_PROGRESS before the operation finishes (default 1). */
  inProgressDescribes?: number;
  /** Largest ListAccountAssignments page, to exercise pagination (default 100, AWS's maximum). */
  pageSize?: number;
  /** The double's clock, for the signature's age (default the real clock). */
  now?: () => Date;
}

export interface AwsFault {
  status: number;
  type: string;
  message?: string;
  /** Runs when the fault fires, e.g. a concurrent request finishing first. */
  before?: () => void;
}

export interface AwsRequestRecord {
  target: string;
  input: Record<string, unknown>;
  status: number;
}

export type AwsDouble = Awaited<ReturnType<typeof startAwsDouble>>;

const SERVICES = {
  SWBExternalService: 'sso',
  AWSIdentityStore: 'identitystore',
} as const;

export const defaultPermissionSetArn = (instanceArn: string, name: string) => {
  const instanceId = instanceArn.split('/').pop()!;
  const id = Buffer.from(name).toString('hex').padEnd(16, '0').slice(0, 16);
  return `arn:aws:sso:::permissionSet/${instanceId}/ps-${id}`;
};

export async function startAwsDouble(options: AwsDoubleOptions = {}) {
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? AWS_DOUBLE_CREDENTIALS;
  const instanceArn = options.instanceArn ?? AWS_DOUBLE_INSTANCE_ARN;
  const identityStoreId = options.identityStoreId ?? AWS_DOUBLE_IDENTITY_STORE_ID;
  const permissionSets = options.permissionSets ?? {
    ReadOnly: defaultPermissionSetArn(instanceArn, 'ReadOnly'),
    Admin: defaultPermissionSetArn(instanceArn, 'Admin'),
  };
  const now = options.now ?? (() => new Date());
  const state = createIdentityCenterState({
    instanceArn,
    identityStoreId,
    accounts: options.accounts ?? ['111122223333'],
    permissionSetArns: Object.values(permissionSets),
    users: (options.users ?? []).map((u) => ({ ...u, userId: u.userId ?? `9067${randomUUID().slice(4)}` })),
    inProgressDescribes: options.inProgressDescribes ?? 1,
    pageSize: options.pageSize ?? 100,
  });
  const requests: AwsRequestRecord[] = [];
  const faults: { target: string; fault: AwsFault }[] = [];
  let down = false;

  function send(res: ServerResponse, status: number, body: unknown) {
    // AWS always sends Date: the SDK corrects its clock skew from it after a "Signature expired".
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      date: now().toUTCString(),
    });
    res.end(JSON.stringify(body));
  }

  const sendError = (res: ServerResponse, e: AwsError) =>
    // Auth errors carry a lower-case `message`, service errors `Message`, as AWS sends them.
    send(res, e.status, {
      __type: e.type,
      [/Signature|Client|Authentication/.test(e.type) ? 'message' : 'Message']: e.message,
      ...e.extra,
    });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.') as [string, string | undefined];
    const record: AwsRequestRecord = { target, input: {}, status: 0 };
    requests.push(record);
    const answer = (status: number, payload: unknown) => {
      record.status = status;
      send(res, status, payload);
    };
    const refuse = (e: AwsError) => {
      record.status = e.status;
      sendError(res, e);
    };

    const service = SERVICES[prefix as keyof typeof SERVICES];
    if (req.method !== 'POST' || !service || !operation)
      return refuse(new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`));
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
      return refuse(new AwsError(400, 'SerializationException', 'Expected Content-Type application/x-amz-json-1.1'));
    const check = verifySigV4(
      { method: req.method, path: req.url ?? '/', headers: req.headers, body },
      { credentials: [credentials], region, service, now: now() },
    );
    if (!check.ok) return refuse(new AwsError(check.status, check.type, check.message));

    let input: Record<string, unknown>;
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    } catch {
      return refuse(new AwsError(400, 'SerializationException', 'Body is not valid JSON'));
    }
    record.input = input;
    if (down)
      return refuse(new AwsError(503, 'ServiceUnavailableException', 'Service is unavailable. Try again later.'));
    const i = faults.findIndex((f) => f.target === operation || f.target === '*');
    if (i >= 0) {
      const { fault } = faults.splice(i, 1)[0]!;
      fault.before?.();
      return refuse(
        new AwsError(fault.status, fault.type, fault.message ?? `${fault.type} (injected by the test double)`),
      );
    }
    const ops = service === 'sso' ? state.sso : state.identityStore;
    const op = Object.hasOwn(ops, operation) ? ops[operation] : undefined;
    if (!op) return refuse(new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`));
    try {
      answer(200, op(input));
    } catch (e) {
      if (e instanceof AwsError) return refuse(e);
      refuse(new AwsError(500, 'InternalServerException', 'Internal error in the AWS double'));
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    credentials,
    instanceArn,
    identityStoreId,
    permissionSets,
    /** Every request that reached the double (with a signature that checked out or not), in order. */
    requests,
    /** Operation names of the requests that were answered 200. */
    calls: () => requests.filter((r) => r.status === 200).map((r) => r.target.split('.')[1]!),
    assignments: state.assignments,
    /** Adds or removes an assignment behind the bot's back (drift). */
    addAssignment: (a: Omit<Assignment, 'principalType'> & { principalType?: Assignment['principalType'] }) =>
      state.addAssignment({ principalType: 'USER', ...a }),
    removeAssignment: (a: Omit<Assignment, 'principalType'> & { principalType?: Assignment['principalType'] }) =>
      state.removeAssignment({ principalType: 'USER', ...a }),
    users: () => [...state.users],
    userIdOf: (email: string) => state.users.find((u) => u.email === email)?.userId,
    addUser: (u: DoubleUser) => void state.users.push(u),
    removeUser: (email: string) => {
      const i = state.users.findIndex((u) => u.email === email);
      return i >= 0 ? state.users.splice(i, 1)[0] : undefined;
    },
    /** The next creation of an assignment with this permission set (or '*') ends FAILED with this reason. */
    failNextCreation: state.failNextCreation,
    /** The next `times` calls of `operation` (or '*') are answered with this error. */
    failNext(operation: string, fault: AwsFault, times = 1) {
      for (let n = 0; n < times; n++) faults.push({ target: operation, fault });
    },
    /** While down, every signed request is answered 503 ServiceUnavailableException. */
    setDown(value: boolean) {
      down = value;
    },
    settle: state.settle,
    inProgress: state.inProgress,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
