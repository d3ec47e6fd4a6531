import { randomUUID } from 'node:crypto';

/**
 * What the double keeps of one IAM Identity Center instance and its identity store, and the
 * operations of the two services on it, answering with the payload shapes of the AWS JSON 1.1
 * models (@aws-sdk/client-sso-admin, @aws-sdk/client-identitystore).
 */
export interface DoubleUser {
  userName: string;
  email: string;
  userId: string;
}

export interface Assignment {
  accountId: string;
  permissionSetArn: string;
  principalType: 'USER' | 'GROUP';
  principalId: string;
}

/** An error as AWS sends it: the HTTP status and the `__type` the SDK maps to an exception class. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Status = 'IN_PROGRESS' | 'FAILED' | 'SUCCEEDED';

interface Operation {
  kind: 'create' | 'delete';
  requestId: string;
  assignment: Assignment;
  status: Status;
  failureReason?: string;
  /** Describe calls still answered IN_PROGRESS. */
  pendingDescribes: number;
  createdDate: number;
}

export interface StateOptions {
  instanceArn: string;
  identityStoreId: string;
  accounts: string[];
  permissionSetArns: string[];
  users: DoubleUser[];
  inProgressDescribes: number;
  pageSize: number;
}

const key = (a: Assignment) => `${a.accountId}|${a.permissionSetArn}|${a.principalType}|${a.principalId}`;

function str(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (typeof v !== 'string' || v === '')
    throw new AwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value at '${field[0]!.toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  return v;
}

export function createIdentityCenterState(opts: StateOptions) {
  const assignments = new Map<string, Assignment>();
  const operations = new Map<string, Operation>();
  const users = [...opts.users];
  const failNextCreation = new Map<string, string>();

  function checkInstance(input: Record<string, unknown>) {
    if (str(input, 'InstanceArn') !== opts.instanceArn)
      throw new AwsError(
        403,
        'AccessDeniedException',
        'User is not authorized to perform this action on the instance.',
        { Reason: 'UNKNOWN_INSTANCE' },
      );
  }

  function assignmentFrom(input: Record<string, unknown>): Assignment {
    checkInstance(input);
    if (str(input, 'TargetType') !== 'AWS_ACCOUNT')
      throw new AwsError(
        400,
        'ValidationException',
        "Value at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACCOUNT]",
      );
    const principalType = str(input, 'PrincipalType');
    if (principalType !== 'USER' && principalType !== 'GROUP')
      throw new AwsError(
        400,
        'ValidationException',
        "Value at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]",
      );
    const permissionSetArn = str(input, 'PermissionSetArn');
    if (!opts.permissionSetArns.includes(permissionSetArn))
      throw new AwsError(404, 'ResourceNotFoundException', `PermissionSet ${permissionSetArn} does not exist.`, {
        Reason: 'PERMISSION_SET_NOT_FOUND',
      });
    const accountId = str(input, 'TargetId');
    if (!opts.accounts.includes(accountId))
      throw new AwsError(400, 'ValidationException', `TargetId ${accountId} is not an account of this organization.`);
    return { accountId, permissionSetArn, principalType, principalId: str(input, 'PrincipalId') };
  }

  function statusOf(op: Operation) {
    return {
      Status: op.status,
      RequestId: op.requestId,
      ...(op.failureReason ? { FailureReason: op.failureReason } : {}),
      TargetId: op.assignment.accountId,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: op.assignment.permissionSetArn,
      PrincipalType: op.assignment.principalType,
      PrincipalId: op.assignment.principalId,
      CreatedDate: op.createdDate,
    };
  }

  /** AWS finishes the work in the background: here, on the n-th describe (or `settle()`). */
  function finish(op: Operation) {
    if (op.status !== 'IN_PROGRESS') return;
    const which = [op.assignment.permissionSetArn, '*'].find((k) => failNextCreation.has(k));
    if (op.kind === 'create' && which !== undefined) {
      const reason = failNextCreation.get(which)!;
      failNextCreation.delete(which);
      op.status = 'FAILED';
      op.failureReason = reason;
      return;
    }
    if (
      op.kind === 'create' &&
      op.assignment.principalType === 'USER' &&
      !users.some((u) => u.userId === op.assignment.principalId)
    ) {
      op.status = 'FAILED';
      op.failureReason = `Received a 404 status error: The principal ${op.assignment.principalId} does not exist in the identity store.`;
      return;
    }
    if (op.kind === 'create') assignments.set(key(op.assignment), op.assignment);
    else assignments.delete(key(op.assignment));
    op.status = 'SUCCEEDED';
  }

  function start(kind: Operation['kind'], assignment: Assignment): Operation {
    const busy = [...operations.values()].some(
      (o) => o.status === 'IN_PROGRESS' && key(o.assignment) === key(assignment),
    );
    if (busy)
      throw new AwsError(
        409,
        'ConflictException',
        'An operation on this account assignment is already in progress. Try again later.',
      );
    const op: Operation = {
      kind,
      requestId: randomUUID(),
      assignment,
      status: 'IN_PROGRESS',
      pendingDescribes: opts.inProgressDescribes,
      createdDate: Date.now() / 1000,
    };
    operations.set(op.requestId, op);
    if (op.pendingDescribes <= 0) finish(op);
    return op;
  }

  function describe(kind: Operation['kind'], input: Record<string, unknown>, idField: string) {
    checkInstance(input);
    const op = operations.get(str(input, idField));
    if (!op || op.kind !== kind)
      throw new AwsError(404, 'ResourceNotFoundException', `Request ${String(input[idField])} was not found.`, {
        Reason: 'REQUEST_NOT_FOUND',
      });
    if (op.status === 'IN_PROGRESS') {
      op.pendingDescribes -= 1;
      if (op.pendingDescribes < 0) finish(op);
    }
    return statusOf(op);
  }

  const sso: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateAccountAssignment(input) {
      const a = assignmentFrom(input);
      if (assignments.has(key(a)))
        throw new AwsError(409, 'ConflictException', 'The specified account assignment already exists.');
      return { AccountAssignmentCreationStatus: statusOf(start('create', a)) };
    },
    DeleteAccountAssignment(input) {
      const a = assignmentFrom(input);
      if (!assignments.has(key(a)))
        throw new AwsError(404, 'ResourceNotFoundException', 'The specified account assignment does not exist.', {
          Reason: 'ASSIGNMENT_NOT_FOUND',
        });
      return { AccountAssignmentDeletionStatus: statusOf(start('delete', a)) };
    },
    DescribeAccountAssignmentCreationStatus: (input) => ({
      AccountAssignmentCreationStatus: describe('create', input, 'AccountAssignmentCreationRequestId'),
    }),
    DescribeAccountAssignmentDeletionStatus: (input) => ({
      AccountAssignmentDeletionStatus: describe('delete', input, 'AccountAssignmentDeletionRequestId'),
    }),
    ListAccountAssignments(input) {
      checkInstance(input);
      const accountId = str(input, 'AccountId');
      const permissionSetArn = str(input, 'PermissionSetArn');
      if (!opts.permissionSetArns.includes(permissionSetArn))
        throw new AwsError(404, 'ResourceNotFoundException', `PermissionSet ${permissionSetArn} does not exist.`, {
          Reason: 'PERMISSION_SET_NOT_FOUND',
        });
      const all = [...assignments.values()].filter(
        (a) => a.accountId === accountId && a.permissionSetArn === permissionSetArn,
      );
      const max = Math.min(typeof input.MaxResults === 'number' ? input.MaxResults : 100, opts.pageSize);
      const from =
        typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
      if (!Number.isInteger(from) || from < 0)
        throw new AwsError(400, 'ValidationException', 'The NextToken is not valid.');
      const page = all.slice(from, from + max);
      const next = from + max < all.length ? Buffer.from(String(from + max)).toString('base64url') : undefined;
      return {
        AccountAssignments: page.map((a) => ({
          AccountId: a.accountId,
          PermissionSetArn: a.permissionSetArn,
          PrincipalType: a.principalType,
          PrincipalId: a.principalId,
        })),
        ...(next ? { NextToken: next } : {}),
      };
    },
  };

  const identityStore: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetUserId(input) {
      const storeId = str(input, 'IdentityStoreId');
      if (storeId !== opts.identityStoreId)
        throw new AwsError(
          403,
          'AccessDeniedException',
          'User is not authorized to perform this action on the identity store.',
        );
      const alt = input.AlternateIdentifier as
        { UniqueAttribute?: { AttributePath?: unknown; AttributeValue?: unknown }; ExternalId?: unknown } | undefined;
      const unique = alt?.UniqueAttribute;
      if (!unique)
        throw new AwsError(
          400,
          'ValidationException',
          'AlternateIdentifier must contain a UniqueAttribute (ExternalId is not modelled by this double).',
        );
      const path = unique.AttributePath;
      if (path !== 'userName' && path !== 'emails.value')
        throw new AwsError(
          400,
          'ValidationException',
          `Invalid attribute path ${String(path)}: the only valid paths are userName and emails.value.`,
        );
      if (typeof unique.AttributeValue !== 'string')
        throw new AwsError(400, 'ValidationException', 'AttributeValue must be a string.');
      const user = users.find((u) => (path === 'userName' ? u.userName : u.email) === unique.AttributeValue);
      if (!user) throw new AwsError(404, 'ResourceNotFoundException', 'USER not found.', { ResourceType: 'USER' });
      return { IdentityStoreId: storeId, UserId: user.userId };
    },
  };

  return {
    sso,
    identityStore,
    assignments: () => [...assignments.values()],
    addAssignment: (a: Assignment) => void assignments.set(key(a), a),
    removeAssignment: (a: Assignment) => assignments.delete(key(a)),
    users,
    failNextCreation: (permissionSetArn: string, reason: string) => void failNextCreation.set(permissionSetArn, reason),
    /** Lets every operation still in progress finish, as AWS would in the background. */
    settle: () => [...operations.values()].forEach(finish),
    inProgress: () => [...operations.values()].filter((o) => o.status === 'IN_PROGRESS').length,
  };
}
