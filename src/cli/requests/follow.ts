import { formatDuration } from '../../domain/duration.js';
import { ApiError, type AccessApi, type RequestDto } from '../../domain/request-api.js';
import { NO_ANSWER } from '../../client/http-access-api.js';
import type { CliIo } from './cli-io.js';
import { decider, formatTime, people, resourceNames, stageApprovals, stageSaid, who } from './render.js';

/**
 * `--wait`: follows a request until it is decided and its access set up, telling the person on stderr who
 * was asked, each approval, the decision, the setup. A pending request is long-polled (the server answers
 * when it changes, or after its timeout, and we ask again); a granted one whose access is still being set
 * up is polled, since its status no longer changes. A lost connection (the bot restarting) is retried a few
 * times before giving up.
 */

/** Seconds per long poll: the server answers earlier on any change; shorter than its 60 s cap so progress (new approvals) shows. */
const LONG_POLL_SECONDS = 30;
const SETUP_POLL_MS = [300, 500, 1000, 2000, 3000];
const RECONNECT_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether the API call may work if tried again: no answer, or a proxy's 502/503/504 while the bot restarts. */
const transient = (e: unknown) => e instanceof ApiError && [NO_ANSWER, 502, 503, 504].includes(e.status);

export const isSettingUp = (r: RequestDto) =>
  r.status === 'active' &&
  r.grant !== null &&
  Date.parse(r.grant.starts_at) <= Date.now() &&
  r.access.some((a) => a.status === 'pending');

/** Done following: decided (any end), or granted with every resource set up (or failed), or scheduled to start later. */
export const isSettled = (r: RequestDto) => r.status !== 'pending' && !isSettingUp(r);

/** Prints what changed between two views of a request. */
function reporter(io: CliIo, prefix: string) {
  const seenApprovals = new Set<string>();
  const seenApprovers = new Set<string>();
  let lastStatus: string | null = null;
  let lastStage = 0;
  let announcedSetup = false;
  const readyShown = new Set<string>();
  const say = (line: string) => void io.stderr.write(`${prefix}${line}\n`);
  return (r: RequestDto) => {
    const newApprovers = r.approvers.filter((a) => !seenApprovers.has(a));
    const needed = `${r.approvals_required} approval${r.approvals_required === 1 ? '' : 's'} needed`;
    // A staged request: the stages passed since the last look, each said once, before who is asked next.
    for (const passed of r.stage?.passed.slice(Math.max(0, lastStage - 1)) ?? [])
      if (lastStatus !== null) say(`${passed.name} passed (approved by ${people(r, passed.by)}).`);
    for (const a of r.approvals)
      if (!seenApprovals.has(a.approver)) {
        seenApprovals.add(a.approver);
        if (r.status === 'pending' && stageApprovals(r).some((s) => s.approver === a.approver))
          say(`Approved by ${who(r, a.approver)} (${stageApprovals(r).length} of ${r.approvals_required}).`);
      }
    if (lastStatus === null && r.status === 'pending')
      say(`Asked ${people(r, r.approvers)} to approve ${resourceNames(r)} (${stageSaid(r)}${needed}).`);
    else if (r.status === 'pending' && r.stage && r.stage.number > lastStage)
      say(`Now at ${stageSaid(r).slice(0, -2)}: asked ${people(r, newApprovers)} (${needed}).`);
    else if (r.status === 'pending' && newApprovers.length > 0) say(`Also asked ${people(r, newApprovers)}.`);
    newApprovers.forEach((a) => seenApprovers.add(a));
    lastStage = r.stage?.number ?? 0;
    if (r.status !== lastStatus && r.status !== 'pending') {
      if (r.status === 'active' || r.status === 'approved') say(`Approved by ${decider(r, 'a rule')}.`);
      if (r.status === 'denied')
        say(`Denied by ${decider(r, 'an approver')}${r.deny_reason ? `: ${r.deny_reason}` : '.'}`);
      if (r.status === 'active' && r.grant && Date.parse(r.grant.starts_at) > Date.now())
        say(`Access starts at ${formatTime(r.grant.starts_at)}.`);
    }
    lastStatus = r.status;
    if (isSettingUp(r) && !announcedSetup) {
      announcedSetup = true;
      say(
        `Setting up ${r.access
          .filter((a) => a.status === 'pending')
          .map((a) => a.resource)
          .join(', ')}…`,
      );
    }
    if (r.status === 'active')
      for (const a of r.access)
        if (a.status === 'active' && !readyShown.has(a.resource)) {
          readyShown.add(a.resource);
          say(`${a.resource} is ready.`);
        }
  };
}

/** Follows one request until it settles; returns it as it ended. */
export async function follow(io: CliIo, api: AccessApi, initial: RequestDto, prefix = ''): Promise<RequestDto> {
  const report = reporter(io, prefix);
  let current = initial;
  report(current);
  let setupPolls = 0;
  let failures = 0;
  while (!isSettled(current)) {
    try {
      if (current.status === 'pending') {
        const answer = await api.wait(current.id, { status: 'pending', timeoutSeconds: LONG_POLL_SECONDS });
        current = answer.request;
      } else {
        await sleep(SETUP_POLL_MS[Math.min(setupPolls++, SETUP_POLL_MS.length - 1)]!);
        current = await api.get(current.id);
      }
      failures = 0;
    } catch (error) {
      if (!transient(error) || ++failures > RECONNECT_ATTEMPTS) throw error;
      io.stderr.write(`${prefix}Lost the connection to the bot (${(error as ApiError).message}); trying again…\n`);
      await sleep(1000 * 2 ** (failures - 1));
      continue;
    }
    report(current);
  }
  return current;
}

/**
 * The end of `--wait` for one request: on stdout how to use the access (exit 0), or on stderr why there is
 * none (exit 1). Denials were told by the progress lines already, with the reason.
 */
export function finish(
  io: CliIo,
  request: RequestDto,
  how: { instructions: (r: RequestDto) => string[]; quiet: boolean },
): number {
  const out = (lines: string[]) => void (how.quiet || io.stdout.write(`${lines.join('\n')}\n`));
  switch (request.status) {
    case 'active': {
      if (request.grant && Date.parse(request.grant.starts_at) > Date.now()) {
        out([
          `${resourceNames(request)}: granted from ${formatTime(request.grant.starts_at)} until ${formatTime(request.grant.expires_at)}.`,
          `When it starts, \`access-requests status ${request.id}\` shows how to use it.`,
        ]);
        return 0;
      }
      out(how.instructions(request));
      const failed = request.access.filter((a) => a.status === 'failed');
      if (failed.length > 0) {
        io.stderr.write(
          `Setting up ${failed.map((a) => a.resource).join(', ')} failed; the bot's admins were told. \`access-requests status ${request.id}\` shows where it stands.\n`,
        );
        return 1;
      }
      return 0;
    }
    case 'approved':
      out([
        `Approved: ${request.extends ? `${request.extends} was extended by` : 'granted for'} ${formatDuration(request.duration_minutes)}.`,
      ]);
      return 0;
    case 'denied':
      return 1;
    case 'cancelled':
      io.stderr.write(`${request.id} was cancelled; nothing was granted.\n`);
      return 1;
    case 'timed_out':
      io.stderr.write(
        `Nobody decided on ${request.id} in time, so it timed out. Ask again, perhaps for a shorter time.\n`,
      );
      return 1;
    case 'expired':
      io.stderr.write(`${request.id}'s access has already ended (expired).\n`);
      return 1;
    case 'revoked':
      io.stderr.write(`${request.id}'s access was revoked: it has ended.\n`);
      return 1;
    case 'pending':
      return 1;
  }
}
