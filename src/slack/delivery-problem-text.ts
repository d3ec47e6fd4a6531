import type { DeliveryProblem } from '../services/ports-messengers.js';

/** The bot's name as people see it in Slack (manifest.yml display_information.name). */
export const BOT_NAME = 'Access Requests';

/** Beside every channel picker: without an invitation Slack refuses the bot's posts (`not_in_channel`). */
export const CHANNEL_HINT = `Leave empty to DM each approver. Invite the bot first: /invite @${BOT_NAME} in that channel, or Slack refuses its posts (the approvers then get DMs and the admins a note).`;
export const BREAK_GLASS_CHANNEL_HINT = `Invite the bot first: /invite @${BOT_NAME} in that channel. If Slack refuses the post, the approvers still get their DMs and the admins a note.`;

/** Slack's answers meaning "this recipient will never get it as things are" (chat.postMessage docs). */
export const REFUSED_CHANNEL = new Set(['not_in_channel', 'is_archived', 'channel_not_found']);
export const REFUSED_PERSON = new Set([
  'cannot_dm_bot',
  'user_not_found',
  'user_disabled',
  'account_inactive',
  'messages_tab_disabled',
]);

/** The one message an admin gets about a delivery problem: what failed and what fixes it. */
export function deliveryProblemText(p: DeliveryProblem): string {
  const what = p.breakGlass ? `the break-glass alert ${p.requestId}` : `request ${p.requestId}`;
  const meanwhile = p.breakGlass || p.fellBackToDms ? ' Meanwhile its approvers get a DM instead.' : '';
  const flow = `the flow *${p.flowName}*`;
  if (p.role === 'channel') {
    const ch = `<#${p.target}>`;
    switch (p.code) {
      case 'not_in_channel':
        return `:warning: I could not post ${what} in ${ch}: I am not a member. Invite @${BOT_NAME} to ${ch} (type \`/invite @${BOT_NAME}\` in it).${meanwhile}`;
      case 'is_archived':
        return `:warning: I could not post ${what} in ${ch}: the channel is archived. Unarchive it, or pick another channel for ${flow} (Home → Flows → Edit).${meanwhile}`;
      default:
        // Slack hides a private channel from a bot that was not added to it: it answers channel_not_found.
        return `:warning: I could not post ${what} in ${ch} (Slack says \`${p.code}\`): the channel is private and I was not added to it, or it was deleted. Add me with \`/invite @${BOT_NAME}\` in it, or pick another channel for ${flow} (Home → Flows → Edit).${meanwhile}`;
    }
  }
  const who = `<@${p.target}>`;
  switch (p.code) {
    case 'deactivated':
      return `:warning: ${who} is deactivated in Slack but still named for ${flow}: I skipped them for ${what}. Remove them from the flow's approvers (or their group).`;
    case 'cannot_dm_bot':
      return `:warning: ${who} is a bot user and cannot get DMs: I skipped it for ${what}. Remove it from the approvers of ${flow} (or its group).`;
    default:
      return `:warning: I could not DM ${who} about ${what} (Slack says \`${p.code}\`). Check the person still has a Slack account and is named correctly in ${flow}.`;
  }
}
