import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { ackFirst } from '../ack-first.js';
import type { SlackDeps } from '../deps.js';
import { COMMAND } from '../ids.js';
import { code, userText } from '../mrkdwn.js';
import { describeFailure } from '../reply.js';
import { buildAuditModal } from '../audit/audit-modal.js';
import { breakGlassCommand, openBreakGlassModal } from '../break-glass/listeners.js';
import { openRequestModal } from '../request/listeners.js';
import { isRequestId } from '../state.js';
import { linkByHandCommand } from '../identity/link-by-hand.js';
import { linkPrompt, stepUpPrompt } from '../identity/sign-in-prompt.js';
import { HELP_TEXT, renderMyRequests, renderPending, unknownCommandText } from './request-list.js';
import { tokenCommand } from './token-command.js';
import { whoCanCommand } from './who-can-command.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/access <sub> [args]`: ack at once (Slack's 3 s), then answer ephemerally through response_url. */
export function accessCommandHandler(deps: SlackDeps) {
  return async ({ ack, command, client, respond }: CommandArgs) => {
    await ackFirst(ack);
    const [sub = 'help', ...args] = command.text.trim().split(/\s+/).filter(Boolean);
    const userId = command.user_id;
    const reply = (text: string, blocks?: unknown[]) =>
      respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) } as never);
    try {
      switch (sub.toLowerCase()) {
        case 'request': {
          const problem = await openRequestModal(deps, client, userId, command.trigger_id, args[0]);
          if (problem) await reply(problem);
          return;
        }
        case 'break-glass': {
          // Without arguments the form opens; with them the access is granted (or refused) at once.
          const problem =
            args.length === 0
              ? await openBreakGlassModal(deps, client, userId, command.trigger_id)
              : await breakGlassCommand(deps, userId, args, command.trigger_id);
          if (problem) await reply(problem);
          return;
        }
        case 'list': {
          const view = renderMyRequests(await deps.requests.listMine(userId, 20, undefined, true));
          await reply(view.text, view.blocks);
          return;
        }
        case 'pending': {
          const view = renderPending(await deps.requests.pendingFor(userId));
          await reply(view.text, view.blocks);
          return;
        }
        case 'whocan':
        case 'explain': {
          const view = await whoCanCommand(deps, userId, sub.toLowerCase() as 'whocan' | 'explain', args);
          await reply(view.text, view.blocks);
          return;
        }
        case 'revoke': {
          const id = args[0]?.toLowerCase();
          if (!isRequestId(id)) {
            await reply(
              'Say which access to revoke: `/access revoke req_…` (the id is in `/access list` and in the approval message).',
            );
            return;
          }
          const request = await deps.grants.revoke(id, userId);
          await reply(`Revoked ${code(request.id)}: the access has ended and the requester was told.`);
          return;
        }
        case 'audit': {
          const id = args[0]?.toLowerCase();
          if (!isRequestId(id)) {
            await reply('Say which request: `/access audit req_…`.');
            return;
          }
          const record = await deps.audit.forViewer(id, userId);
          await client.views.open({
            trigger_id: command.trigger_id,
            view: buildAuditModal(record, deps.auditLink(id)),
          });
          return;
        }
        case 'apikey': {
          const [verb, ...rest] = args;
          if (verb === 'create') {
            const key = await deps.apiKeys.create(userId, rest.join(' '));
            await reply(
              `Created API key ${code(key.id)}. Copy it now, it is not shown again:\n\`\`\`${key.token}\`\`\`\nGateways send it as \`Authorization: Bearer …\` to \`POST /api/v1/authorize\`.`,
            );
          } else if (verb === 'revoke' && rest[0]) {
            await deps.apiKeys.revoke(userId, rest[0]);
            await reply(`Revoked API key ${code(rest[0])}.`);
          } else if (verb === 'list') {
            const keys = await deps.apiKeys.list(userId);
            await reply(
              keys.length
                ? keys.map((k) => `• ${code(k.id)} ${userText(k.name, 80)} (by <@${k.createdBy}>)`).join('\n')
                : 'No API keys yet: `/access apikey create <name>`.',
            );
          } else {
            await reply(
              'Admins manage API keys for the authorization API: `/access apikey create <name>`, `/access apikey list`, `/access apikey revoke key_…`.',
            );
          }
          return;
        }
        case 'token': {
          await reply(await tokenCommand(deps, userId, args, command.trigger_id));
          return;
        }
        case 'link': {
          // With arguments: an admin links someone by hand (`/access link @person <subject>`).
          if (args.length > 0) {
            await reply(await linkByHandCommand(deps, userId, args));
            return;
          }
          const prompt = await linkPrompt(deps, userId);
          await reply(prompt.text, prompt.blocks);
          return;
        }
        case 'unlink': {
          // Admins: `/access unlink @person` (Slack sends <@U…|name>) or a user id.
          const target =
            /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(args[0] ?? '')?.[1] ??
            (/^[UW][A-Z0-9]{2,}$/.test(args[0] ?? '') ? args[0]! : null);
          if (!target) {
            await reply(
              'Admins unlink a person’s company identity with `/access unlink @person`; they can then link another one.',
            );
            return;
          }
          const gone = await deps.identity.unlink(userId, target);
          await reply(
            gone
              ? `Unlinked the company identity of <@${target}>. They can link again with \`/access link\`.`
              : `<@${target}> has no linked company identity.`,
          );
          return;
        }
        case 'ssh-key': {
          const text = command.text.trim().slice('ssh-key'.length).trim();
          if (!text) {
            const key = await deps.profile.sshKey(userId);
            await reply(
              key
                ? `Your SSH public key: ${code(key.slice(0, 80))}${key.length > 80 ? '…' : ''}`
                : 'You have no SSH public key yet. Set it with `/access ssh-key ssh-ed25519 AAAA… you@laptop` (the contents of your `~/.ssh/id_ed25519.pub`).',
            );
            return;
          }
          await deps.profile.setSshKey(userId, text);
          await reply('Saved your SSH public key. Certificates for SSH access will be signed for it.');
          return;
        }
        case 'help':
          await reply(HELP_TEXT);
          return;
        default:
          await reply(unknownCommandText(sub));
      }
    } catch (error) {
      const text = describeFailure(deps.logger, error, { action: `command.${sub}`, slack_user: userId });
      const prompt = stepUpPrompt(deps, userId, error);
      await (prompt ? reply(prompt.text, prompt.blocks) : reply(text));
    }
  };
}

export function register(app: App, deps: SlackDeps) {
  app.command(COMMAND, accessCommandHandler(deps));
}
