import { readFileSync } from 'node:fs';
import { manifestBotScopes } from '../../doubles/slack/scopes.js';

/**
 * The bot scopes manifest.yml asks for: the Slack double's token gets exactly these, so a method or a
 * field (profile.email) the manifest does not cover fails here as it would in a real workspace.
 */
export const APP_SCOPES: string[] = manifestBotScopes(
  readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'),
);
