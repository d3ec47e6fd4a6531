import type { KnownBlock } from '@slack/types';
import type { App, BlockAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { isAppError } from '../../domain/errors.js';
import { errorText } from '../error-text.js';
import { describeFailure } from '../reply.js';
import { IdentityIds } from '../ids.js';
import { userText } from '../mrkdwn.js';
import type { SlackDeps } from '../deps.js';

/** A sentence with one link button (the sign-in page), for an ephemeral reply or a small modal. */
export function signInBlocks(text: string, label: string, url: string, actionId: string): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, url, style: 'primary' },
      ],
    },
  ];
}

/** `/access link`: the signed sign-in link as a button (only the person who asked sees it). */
export async function linkPrompt(deps: SlackDeps, userId: string): Promise<{ text: string; blocks?: KnownBlock[] }> {
  const link = await deps.identity.linkOf(userId);
  const url = deps.identity.signInLink(userId, 'link');
  const now = link
    ? `You are linked as ${userText(link.email ?? link.subject, 120)} (${userText(link.provider, 80)}). Sign in again to refresh it.`
    : 'Link your Slack user to your company identity: sign in once with the identity provider.';
  return {
    text: `${now} ${url}`,
    blocks: signInBlocks(
      `${now}\nThe link works for 10 minutes, for you only.`,
      'Sign in to link',
      url,
      IdentityIds.linkButton,
    ),
  };
}

/**
 * The step-up refusal as the approver sees it: the reason and a "Sign in to approve" button whose signed
 * link names the request. Null when the error is not a step-up refusal.
 */
export function stepUpPrompt(
  deps: SlackDeps,
  userId: string,
  error: unknown,
): { text: string; blocks: KnownBlock[] } | null {
  if (!isAppError(error) || (error.code !== 'step_up_required' && error.code !== 'mfa_required')) return null;
  const requestId = typeof error.details?.requestId === 'string' ? error.details.requestId : null;
  const minutes = typeof error.details?.minutes === 'number' ? error.details.minutes : null;
  const text = `${errorText(error)}${minutes ? ` (a sign-in within the last ${minutes} minutes counts)` : ''}`;
  let url: string;
  try {
    url = deps.identity.signInLink(userId, 'step_up', requestId);
  } catch (e) {
    return { text: errorText(e), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: errorText(e) } }] };
  }
  return {
    text,
    blocks: signInBlocks(text, requestId ? 'Sign in to approve' : 'Sign in', url, IdentityIds.signInButton),
  };
}

/** Says the prompt where the person clicked: under the message (ephemeral) or in a small modal. */
export async function showPrompt(
  body: BlockAction,
  client: WebClient,
  respond: RespondFn,
  prompt: { text: string; blocks: KnownBlock[] },
) {
  if (body.response_url) {
    await respond({ response_type: 'ephemeral', replace_original: false, text: prompt.text, blocks: prompt.blocks });
    return;
  }
  const view = {
    type: 'modal' as const,
    title: { type: 'plain_text' as const, text: 'Sign in first' },
    close: { type: 'plain_text' as const, text: 'Close' },
    blocks: prompt.blocks,
  };
  if (body.view?.type === 'modal') await client.views.push({ trigger_id: body.trigger_id, view });
  else await client.views.open({ trigger_id: body.trigger_id, view });
}

export function register(app: App, deps: SlackDeps) {
  // Link buttons: Slack opens the URL itself and still sends a block_actions, which only needs its ack.
  app.action(IdentityIds.linkButton, async ({ ack }) => ack());
  app.action(IdentityIds.signInButton, async ({ ack }) => ack());
  // App Home's button: a fresh signed link (a Home view may sit for hours; the link lasts 10 minutes).
  app.action<BlockAction>(IdentityIds.homeLinkButton, async ({ ack, body, client }) => {
    await ack();
    let blocks: KnownBlock[];
    try {
      blocks = (await linkPrompt(deps, body.user.id)).blocks ?? [];
    } catch (error) {
      blocks = [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: describeFailure(deps.logger, error, { action: 'identity.home_link', slack_user: body.user.id }),
          },
        },
      ];
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: {
        type: 'modal',
        title: { type: 'plain_text', text: 'Company identity' },
        close: { type: 'plain_text', text: 'Close' },
        blocks,
      },
    });
  });
}
