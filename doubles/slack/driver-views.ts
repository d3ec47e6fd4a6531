/**
 * What a person does with a modal as a whole: submitting it (view_submission, doc §2.6, then what Slack does
 * with the app's answer) and closing it (view_closed, doc §2.7).
 */
import type { DriverResponse } from './driver-transport.js';
import { resolveSurface, type DriverContext } from './driver-surface.js';
import { clientSideProblems, entryFor, type Picked } from './driver-values.js';
import { viewClosedPayload, viewSubmissionPayload } from './payloads.js';
import { stateValuesOf, statefulElementsOf, type StateValues } from './surface.js';

/**
 * view_submission. `values` is keyed by input block_id; left-out elements keep
 * their current/initial value; null clears. `opts.raw` entries
 * (`{block_id: {action_id: entry}}`) are sent verbatim and skip client checks.
 */
export async function submitView(
  d: DriverContext,
  userId: string,
  viewId: string,
  values: Record<string, Picked>,
  opts: { raw?: Record<string, Record<string, any>> } = {},
): Promise<DriverResponse> {
  const s = resolveSurface(d.slack, userId, { viewId });
  if (s.kind !== 'view' || s.view.type !== 'modal')
    throw new Error(`${s.describe} is not a modal; only modals can be submitted`);
  for (const [blockId, picked] of Object.entries(values)) {
    const block = s.blocks.find((b) => b?.block_id === blockId);
    if (!block)
      throw new Error(
        `${s.describe} has no block "${blockId}" (blocks: ${s.blocks.map((b) => b?.block_id).join(', ')})`,
      );
    const refs = statefulElementsOf([block]);
    if (refs.length !== 1)
      throw new Error(`${s.describe} block "${blockId}" has ${refs.length} input elements; use opts.raw`);
    const ref = refs[0]!;
    d.slack.setSurfaceValue(
      s.key,
      ref.blockId,
      ref.actionId,
      entryFor(d.slack, ref.element, picked, `${s.describe} ${blockId}`, d.suggestions),
    );
  }
  const stateValues: StateValues = stateValuesOf(s.blocks, d.slack.surfaceValues(s.key));
  for (const [blockId, entries] of Object.entries(opts.raw ?? {}))
    stateValues[blockId] = { ...stateValues[blockId], ...entries };
  if (!opts.raw) {
    const problems = clientSideProblems(s.blocks, stateValues);
    if (problems.length > 0)
      throw new Error(`Slack would not submit ${s.describe}: ${problems.join('; ')} (use opts.raw to force)`);
  }
  const res = await d.interact(
    viewSubmissionPayload(d.slack, {
      userId,
      apiAppId: d.apiAppId,
      view: s.view,
      values: stateValues,
      triggerId: d.slack.issueTriggerId(userId),
    }),
  );
  // Only a timely 200 changes the view; anything else leaves it open with an error shown (doc §1.3, §2.6).
  if (res.status === 200 && !res.timedOut) {
    const outcome = d.slack.applyViewResponse(userId, viewId, res.text === '' ? undefined : (res.json ?? res.text));
    if (outcome.error) {
      res.slackError = outcome.error;
      res.slackMessages = outcome.messages;
    }
  }
  return res;
}

/** The user closes the top modal: view_closed only when notify_on_close (doc §2.7); the view closes either way. */
export async function closeView(d: DriverContext, userId: string, viewId: string): Promise<DriverResponse> {
  const s = resolveSurface(d.slack, userId, { viewId });
  if (s.kind !== 'view' || s.view.type !== 'modal') throw new Error(`${s.describe} is not a modal`);
  const v = s.view;
  const isCleared = v.view?.clear_on_close === true;
  const values = s.values;
  if (isCleared) d.slack.clearViews(userId);
  else d.slack.closeTopView(userId);
  if (v.view?.notify_on_close !== true) return { status: 0, text: '', dispatched: false, elapsedMs: 0 };
  return d.interact(viewClosedPayload(d.slack, { userId, apiAppId: d.apiAppId, view: v, values, isCleared }));
}
