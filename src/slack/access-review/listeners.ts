import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import type { SlackDeps } from '../deps.js';
import { AccessReviewIds } from '../ids.js';
import { describeFailure } from '../reply.js';
import { tellClicker } from '../tell.js';
import { renderReviewMessage } from './review-message.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const REVIEW = '(rev_[0-9a-z]{6,20})';
const PAGE = '(\\d{1,4})';
/** `<review id>:<page>:<user id>` on Keep / Remove; `<review id>:<page>` on the page's Keep and the pager. Ids only, zod-checked. */
export const PersonValue = z
  .string()
  .regex(new RegExp(`^${REVIEW}:${PAGE}:([UW][A-Z0-9]{2,})$`))
  .transform((v) => {
    const [reviewId, page, userId] = v.split(':') as [string, string, string];
    return { reviewId, page: Number(page), userId };
  });
export const PageValue = z
  .string()
  .regex(new RegExp(`^${REVIEW}:${PAGE}$`))
  .transform((v) => {
    const [reviewId, page] = v.split(':') as [string, string];
    return { reviewId, page: Number(page) };
  });

/**
 * Every button of a review DM: ack, read the ids, one service call (which checks the clicker is a
 * reviewer of that review, in the transaction that writes), then the clicked message shows the new page.
 */
export function reviewActionHandler(deps: SlackDeps) {
  return async ({ ack, body, action, client, respond }: ButtonArgs) => {
    await ack();
    const userId = body.user.id;
    try {
      const id = action.action_id;
      let model;
      if (id === AccessReviewIds.keep || id === AccessReviewIds.remove) {
        const v = PersonValue.safeParse(action.value);
        if (!v.success) throw new AppError('stale_reference', 'review button without ids');
        const decision = id === AccessReviewIds.keep ? 'keep' : 'remove';
        model = await deps.accessReviews.decide(userId, v.data.reviewId, v.data.userId, decision, v.data.page);
      } else {
        const v = PageValue.safeParse(action.value);
        if (!v.success) throw new AppError('stale_reference', 'review button without ids');
        model =
          id === AccessReviewIds.keepPage
            ? await deps.accessReviews.keepPage(userId, v.data.reviewId, v.data.page)
            : await deps.accessReviews.turnPage(userId, v.data.reviewId, v.data.page);
      }
      const channel = body.container?.channel_id as string | undefined;
      const ts = body.container?.message_ts as string | undefined;
      if (channel && ts) {
        const m = renderReviewMessage(model);
        await client.chat.update({ channel, ts, text: m.text, blocks: m.blocks });
      }
    } catch (error) {
      const text = describeFailure(deps.logger, error, { action: action.action_id, slack_user: userId });
      await tellClicker(body, client, respond, 'Access review', text);
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.action<BlockAction<ButtonAction>>({ action_id: /^accessreview\./ }, reviewActionHandler(deps));
}
