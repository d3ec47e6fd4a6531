import { renderAskerMessage, renderAskerNotice } from './review/asker-message.js';
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { DeliveryRefused } from '../services/delivery.js';
import type { Messenger } from '../services/ports-messengers.js';
import { deliveryProblemText, REFUSED_CHANNEL, REFUSED_PERSON } from './delivery-problem-text.js';
import { createPacer, type Pacer } from './pacer.js';
import { renderConfigRefused } from './admin/config-refused-message.js';
import { renderTargetChange } from './admin/target-change-message.js';
import { renderEndWarning } from './review/end-warning-message.js';
import { renderAccessReady, renderProvisioningProblem } from './review/provisioning-message.js';
import { renderApproverMessage, renderRequesterMessage } from './review/request-message.js';
import { renderRequesterNotice, renderThreadReply } from './review/requester-notice.js';
import { updateIfThere } from './paced-update.js';
import { slackErrorCode } from './slack-error.js';

/** The Messenger port over Slack's Web API. Updates and Home publishes go through `pacer` (rate-limit tiers). */
export function createSlackMessenger(
  client: WebClient,
  logger: Logger,
  refreshHome: (userId: string) => Promise<void>,
  pacer: Pacer = createPacer({}),
): Messenger {
  const render = (role: string, request: Parameters<typeof renderApproverMessage>[0]) =>
    role === 'requester'
      ? renderRequesterMessage(request)
      : role === 'asker'
        ? renderAskerMessage(request)
        : renderApproverMessage(request, { earlierStage: role === 'earlier_stage' });
  return {
    async postEndWarning(request) {
      const message = renderEndWarning(request);
      // A fresh DM (not an edit), so Slack notifies the requester.
      await client.chat.postMessage({ channel: request.requesterId, text: message.text, blocks: message.blocks });
    },
    renderHash(role, request) {
      const message = render(role, request);
      return createHash('sha256')
        .update(JSON.stringify([message.text, message.blocks]))
        .digest('base64url')
        .slice(0, 22);
    },
    async postDeliveryProblem(adminId, problem) {
      try {
        await client.chat.postMessage({ channel: adminId, text: deliveryProblemText(problem) });
      } catch (e) {
        // The problem is in the log either way; an admin we cannot reach must not hold back the request.
        logger.warn(
          { slack_user: adminId, problem: problem.code, target: problem.target, err: e },
          'could not tell an admin about a delivery problem',
        );
      }
    },
    async postTargetChange(adminId, change) {
      try {
        await client.chat.postMessage({ channel: adminId, text: renderTargetChange(change).text });
      } catch (e) {
        // The change is in the audit trail either way; one admin we cannot reach must not keep the others uninformed.
        logger.warn(
          { slack_user: adminId, resource: change.resource, err: e },
          'could not tell an admin about a target change',
        );
      }
    },
    async postConfigRefused(adminId, refusal) {
      try {
        await client.chat.postMessage({ channel: adminId, text: renderConfigRefused(refusal).text });
      } catch (e) {
        // The refusal is in the log either way; one admin we cannot reach must not keep the others uninformed.
        logger.warn(
          { slack_user: adminId, path: refusal.path, err: e },
          'could not tell an admin about a refused ACCESS_CONFIG',
        );
      }
    },
    async postAccessReady(request, resource, result) {
      const message = renderAccessReady(request, resource, result);
      await client.chat.postMessage({ channel: request.requesterId, text: message.text, blocks: message.blocks });
    },
    async postProvisioningProblem(request, resource, problem, final) {
      const message = renderProvisioningProblem(request, resource, problem, final);
      const people = new Set([
        request.requesterId,
        ...(request.approvals.length ? request.approvals.map((a) => a.approverId) : request.notifiedApprovers),
      ]);
      for (const userId of people)
        await client.chat.postMessage({ channel: userId, text: message.text, blocks: message.blocks });
    },
    async postRequestMessage(role, userId, request) {
      const message = render(role, request);
      // Posting to a user id lands in the bot's DM with that person (Slack answers with the D… channel);
      // a channel id posts in that channel.
      try {
        const res = await client.chat.postMessage({ channel: userId, text: message.text, blocks: message.blocks });
        return { channel: res.channel!, ts: res.ts! };
      } catch (e) {
        const code = slackErrorCode(e);
        if (code && (role === 'channel' ? REFUSED_CHANNEL : REFUSED_PERSON).has(code)) {
          logger.warn(
            { request_id: request.id, target: userId, error: code },
            'Slack refused a request message for this recipient',
          );
          throw new DeliveryRefused(code, userId);
        }
        throw e;
      }
    },
    async updateRequestMessage(ref, request) {
      const updated = await updateIfThere(client, pacer, ref, render(ref.role, request));
      if (!updated)
        logger.warn({ request_id: request.id, channel: ref.channel }, 'request message is gone; not updating it');
      return updated;
    },
    async postThreadReply(ref, request, kind) {
      const message = renderThreadReply(request, kind);
      try {
        await client.chat.postMessage({
          channel: ref.channel,
          thread_ts: ref.ts,
          text: message.text,
          blocks: message.blocks,
        });
      } catch (e) {
        if (
          slackErrorCode(e) === 'message_not_found' ||
          slackErrorCode(e) === 'channel_not_found' ||
          slackErrorCode(e) === 'thread_not_found'
        )
          return;
        throw e;
      }
    },
    async postNotice(userId, request, event) {
      // Someone who asked on the requester's behalf gets their own words, without secrets.
      const message =
        userId === request.requesterId ? renderRequesterNotice(request, event) : renderAskerNotice(request, event);
      await client.chat.postMessage({ channel: userId, text: message.text, blocks: message.blocks });
    },
    async refreshHome(userId) {
      try {
        await pacer.run('views.publish', () => refreshHome(userId));
      } catch (e) {
        // The Home tab is a convenience view: failing to refresh it must not hold back the messages.
        logger.warn({ slack_user: userId, err: e }, 'could not refresh the App Home tab');
      }
    },
  };
}
