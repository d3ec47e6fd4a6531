import { hostname } from 'node:os';
import { forgetCliToken, readCliConfig, readCliConfigFile, writeCliConfig } from '../../client/cli-config.js';
import { callJson, createHttpAccessApi, type MeDto } from '../../client/http-access-api.js';
import type { LoginMethodsDto, TokenExchangeDto } from '../../domain/device-login.js';
import { ApiError } from '../../domain/request-api.js';
import { CliFailure, EXIT, stringValue, UsageError, type CliIo, type Command } from './cli-io.js';
import { deviceIdToken } from './device-login.js';
import { readHidden, readAllStdin } from './secret-input.js';
import { formatTime } from './render.js';

const TOKEN = /^ark_pat_[A-Za-z0-9_-]{10,200}$/;

/** The bot's base URL as typed; a token never travels in clear beyond this machine. */
export function botUrl(text: string): string {
  const url = URL.canParse(text)
    ? new URL(text)
    : URL.canParse(`https://${text}`) && !text.includes('://')
      ? new URL(`https://${text}`)
      : null;
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password)
    throw new UsageError(
      `${JSON.stringify(text)} is not the URL of an access bot (e.g. https://access.corp.example).`,
      'login',
    );
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !local)
    throw new UsageError(
      `Use https for ${url.host}: a token sent over plain http can be read on the way (http is for this machine only).`,
      'login',
    );
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/$/, '');
}

/** What the bot offers; a bot from before device login (404, or not its JSON) offers tokens. */
async function loginMethods(url: string): Promise<LoginMethodsDto> {
  try {
    return await callJson<LoginMethodsDto>(url, 'GET', 'api/v1/login');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.body.error === 'bad_response'))
      return { methods: ['token'] };
    throw error;
  }
}

const who = (me: MeDto) =>
  typeof me.user === 'string' ? me.user : me.user.name ? `${me.user.name} (${me.user.id})` : me.user.id;

export const loginCommand: Command = {
  name: 'login',
  summary: 'log in to the access bot (company sign-in, or a personal token)',
  help: `usage: access-requests login [--url URL] [--token-stdin] [--method device|token]

Logs in and saves the bot's URL and your personal token in ~/.config/access-requests/config.json (0600).

Where the bot offers it, login signs you in through your company identity provider: open the URL it
prints, enter the code, and the bot makes a personal token for a week. Otherwise (or with --method token)
make a token in Slack with /access token create and paste it when asked, or pipe it with --token-stdin.
A token is never taken as an argument: it would stay in your shell history.

  --url URL        the bot's address (where its pages are; remembered for next time)
  --token-stdin    read the token from standard input (scripts, CI)
  --method M       device (company sign-in) or token (paste a personal token)

examples:
  access-requests login --url https://access.corp.example
  pbpaste | access-requests login --url https://access.corp.example --token-stdin`,
  options: {
    url: { type: 'string' },
    'token-stdin': { type: 'boolean' },
    method: { type: 'string' },
    // Declared only to refuse it with a sentence: a token on the command line lands in shell history.
    token: { type: 'string' },
  },
  async run({ values, positionals, io }) {
    if (values.token !== undefined || positionals.some((p) => p.startsWith('ark_')))
      throw new UsageError(
        'Never put a token on the command line (it stays in your shell history): run login and paste it when asked, or pipe it with --token-stdin.',
        'login',
      );
    if (positionals.length > 0)
      throw new UsageError(`login takes no arguments (got ${positionals[0]}); the URL goes with --url.`, 'login');
    const method = stringValue(values, 'method');
    if (method !== undefined && method !== 'device' && method !== 'token')
      throw new UsageError('--method is device or token.', 'login');
    if (values['token-stdin'] && method === 'device')
      throw new UsageError('--token-stdin reads a token: it does not go with --method device.', 'login');
    const given = stringValue(values, 'url') ?? readCliConfig(io.env).url;
    if (!given)
      throw new UsageError(
        'Which bot? Give its address: access-requests login --url https://access.corp.example',
        'login',
      );
    const url = botUrl(given);

    let token: string | null = null;
    if (!values['token-stdin'] && method !== 'token') {
      const offered = await loginMethods(url);
      if (offered.methods.includes('device') && offered.device) token = await deviceToken(io, url, offered.device);
      else if (method === 'device')
        throw new CliFailure(
          `${url} does not offer company sign-in for the CLI: make a personal token in Slack (/access token create) and run access-requests login --method token.`,
        );
    }
    if (!token) token = await askForToken(io, values['token-stdin'] === true);
    const me = await createHttpAccessApi({ url, token, channel: 'cli' })
      .me()
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401)
          throw new CliFailure(`${url} refused that token: ${error.body.message} Nothing was saved.`);
        throw error;
      });
    const path = writeCliConfig({ url, token }, io.env);
    io.stdout.write(
      `Logged in to ${url} as ${who(me)}. Token "${me.token.name}"${me.token.expires_at ? ` expires ${formatTime(me.token.expires_at)}` : ''}; saved in ${path}.\n`,
    );
    return EXIT.ok;
  },
};

async function askForToken(io: CliIo, fromStdin: boolean): Promise<string> {
  let text: string;
  if (fromStdin) text = await readAllStdin(io.stdin);
  else if (io.stdin.isTTY)
    text = await readHidden(
      io,
      'Personal token (make one in Slack: /access token create; it is not shown as you type): ',
    );
  else throw new UsageError('No terminal to ask for the token: pipe it with --token-stdin.', 'login');
  const token = text.trim();
  if (!token) throw new CliFailure('No token was given; nothing was saved.');
  if (!TOKEN.test(token))
    throw new CliFailure(
      'That is not a personal token (they start with ark_pat_; make one in Slack with /access token create).',
    );
  return token;
}

/** The device grant with the provider, then the ID token traded for a personal token at the bot. */
async function deviceToken(io: CliIo, url: string, device: NonNullable<LoginMethodsDto['device']>): Promise<string> {
  const idToken = await deviceIdToken(io, device);
  const made = await callJson<TokenExchangeDto>(url, 'POST', 'api/v1/tokens/exchange', {
    body: { id_token: idToken, name: `access-requests on ${hostname().slice(0, 60)}` },
  });
  return made.token;
}

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'forget the token on this machine',
  help: `usage: access-requests logout

Removes the personal token from ~/.config/access-requests/config.json (the bot's URL stays). The token
itself stays valid until it expires: revoke it in Slack with /access token revoke pat_… to end it now.`,
  options: {},
  async run({ positionals, io }) {
    if (positionals.length > 0) throw new UsageError('logout takes no arguments.', 'logout');
    const saved = readCliConfigFile(io.env);
    const had = forgetCliToken(io.env);
    // The token's id (never its secret) names it in Slack's /access token list and revoke.
    const id = /^ark_(pat_[0-9a-z]{10})_/.exec(saved.token ?? '')?.[1];
    io.stdout.write(
      had
        ? `Logged out${saved.url ? ` of ${saved.url}` : ''}: the token is no longer saved on this machine. It stays valid until it expires; to end it now, type in Slack: /access token revoke ${id ?? 'pat_…'}\n`
        : 'Not logged in: no token was saved.\n',
    );
    if (io.env.ACCESS_REQUESTS_TOKEN) io.stderr.write('ACCESS_REQUESTS_TOKEN is still set in your environment.\n');
    return EXIT.ok;
  },
};
