import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startOidcDouble, type OidcDouble } from '../doubles/oidc/oidc-double.js';
import { DEVICE_GRANT_TYPE } from '../doubles/oidc/device-grant.js';
import { cliHome, runCli, startCli, type CliHome, type CliProcess } from './support/cli.js';
import { startHarness, type Harness } from './support/harness.js';
import { replyTo } from './support/journey-steps.js';
import { waitFor } from '../doubles/support/until.js';
import { PEOPLE } from './support/workspace.js';

/**
 * `access-requests login` through the company identity provider (RFC 8628 device grant): the CLI runs the
 * grant with the OIDC double as the operator's public CLI client, the test approves the code on the
 * double's page by HTTP as a person would in a browser, and the bot trades the ID token for a personal
 * token of the Slack person the identity is linked to.
 */
const CLI_CLIENT = 'access-requests-cli';
let idp: OidcDouble;
let h: Harness;
let url: string;

beforeAll(async () => {
  idp = await startOidcDouble({
    clientId: 'access-bot',
    clientSecret: 'bot-secret',
    people: [
      { sub: 'okta|rita', email: 'rita@example.com', name: 'Rita' },
      { sub: 'okta|dan', email: 'dan@example.com', name: 'Dan (not linked)' },
    ],
    deviceClients: [CLI_CLIENT],
    deviceInterval: 1,
  });
  h = await startHarness({
    env: {
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: 'access-bot',
      OIDC_CLIENT_SECRET: 'bot-secret',
      OIDC_CLI_CLIENT_ID: CLI_CLIENT,
    },
  });
  url = `http://127.0.0.1:${h.port}`;
  // An admin links Rita to her company identity by hand (as /access link would after her sign-in).
  const linked = await replyTo(h, () =>
    h.driver.command(PEOPLE.admin, '/access', `link <@${PEOPLE.requester}|rita> okta|rita`),
  );
  expect(linked.text).toContain('Linked');
});
afterAll(async () => {
  await h?.stop();
  await idp?.stop();
});

let home: CliHome;
afterEach(() => home?.remove());

/** The page the CLI pointed at, opened and answered as `who` (Approve or Deny), as a person in a browser. */
async function answerAtProvider(cli: CliProcess, who: string, decision: 'approve' | 'deny') {
  await waitFor(() => /\(or open (\S+)\)/.test(cli.stderr()), 'the CLI to print the verification URL');
  const page = /\(or open (\S+)\)/.exec(cli.stderr())![1]!;
  const userCode = new URL(page).searchParams.get('user_code')!;
  expect(cli.stderr()).toContain(`To log in, open ${idp.issuer}/device and enter the code ${userCode}`);
  const shown = await fetch(page);
  expect(await shown.text()).toContain(userCode);
  const answer = await fetch(`${idp.issuer}/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: userCode, who, decision, mfa: 'on' }),
  });
  expect(answer.status).toBe(200);
}

const configFile = () => join(home.dir, '.config', 'access-requests', 'config.json');

/** Checks an answer of the login routes against the OpenAPI document the bot serves, and returns its body. */
async function documented(method: 'get' | 'post', path: string, res: Response): Promise<Record<string, unknown>> {
  const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as object;
  const ajv = new Ajv2020({ strict: false });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  ajv.addSchema(doc, 'openapi');
  const body = (await res.json()) as Record<string, unknown>;
  const escaped = path.replace(/\//g, '~1');
  const validate = ajv.compile({
    $ref: `openapi#/paths/${escaped}/${method}/responses/${res.status}/content/application~1json/schema`,
  });
  if (!validate(body)) throw new Error(`${path} ${res.status}: ${ajv.errorsText(validate.errors)}`);
  return body;
}

describe('device login through the company identity provider', () => {
  it('the bot advertises it; a linked person approves at the provider and the CLI is logged in for 7 days', async () => {
    const methods = await documented('get', '/api/v1/login', await fetch(`${url}/api/v1/login`));
    expect(methods).toEqual({
      methods: ['token', 'device'],
      device: { issuer: idp.issuer, client_id: CLI_CLIENT, scope: 'openid' },
    });
    home = cliHome();
    const cli = startCli(['login', '--url', url], { env: home.env });
    await answerAtProvider(cli, 'okta|rita', 'approve');
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`Logged in to ${url} as `);
    expect(done.stdout).toContain(PEOPLE.requester);
    const saved = JSON.parse(readFileSync(configFile(), 'utf8')) as { url: string; token: string };
    expect(saved.url).toBe(url);
    expect(saved.token).toMatch(/^ark_pat_[0-9a-z]{10}_/);
    // The token works, and is the device's: 7 days, audited with the identity it was issued for.
    const list = await runCli(['list', '--json'], { env: home.env });
    expect(list.code, list.stderr).toBe(0);
    const [row] =
      await h.sql`select id, created_via, expires_at, created_at from personal_tokens where user_id = ${PEOPLE.requester} order by created_at desc limit 1`;
    expect(row!.created_via).toBe('device');
    expect((row!.expires_at as Date).getTime() - (row!.created_at as Date).getTime()).toBe(7 * 24 * 3600_000);
    const [event] =
      await h.sql`select actor, details from audit_events where action = 'token.created' and details->>'tokenId' = ${row!.id as string}`;
    expect(event!.actor).toBe(PEOPLE.requester);
    expect(event!.details).toMatchObject({ via: 'device', issuer: idp.issuer, subject: 'okta|rita' });
    // Neither the ID token nor the personal token reaches the logs.
    expect(h.logs.join('')).not.toContain(saved.token.slice(-43));
  });

  it('a company identity nobody linked is refused with the sentence that says what to do, and nothing is saved', async () => {
    home = cliHome();
    const cli = startCli(['login', '--url', url], { env: home.env });
    await answerAtProvider(cli, 'okta|dan', 'approve');
    const done = await cli.done;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('Link your company identity first: /access link in Slack.');
    expect(done.stdout).toBe('');
    expect(() => readFileSync(configFile(), 'utf8')).toThrow();
  });

  it('a login denied at the provider ends with a sentence, nothing saved', async () => {
    home = cliHome();
    const cli = startCli(['login', '--url', url], { env: home.env });
    await answerAtProvider(cli, 'okta|rita', 'deny');
    const done = await cli.done;
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('The login was denied at the identity provider; nothing was saved.');
    expect(() => readFileSync(configFile(), 'utf8')).toThrow();
  });

  it("the exchange takes only a fresh ID token issued to the CLI's client, once", async () => {
    /** An ID token from the double's device grant, approved as Rita, for `clientId`. */
    async function idTokenFor(clientId: string, secret?: string) {
      const auth: Record<string, string> = secret
        ? { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` }
        : {};
      const form = (body: Record<string, string>) => ({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: new URLSearchParams(secret ? body : { ...body, client_id: clientId }),
      });
      const started = (await (await fetch(`${idp.issuer}/device_authorization`, form({ scope: 'openid' }))).json()) as {
        device_code: string;
        user_code: string;
      };
      await fetch(`${idp.issuer}/device`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ user_code: started.user_code, who: 'okta|rita', decision: 'approve' }),
      });
      const tokens = (await (
        await fetch(`${idp.issuer}/token`, form({ grant_type: DEVICE_GRANT_TYPE, device_code: started.device_code }))
      ).json()) as { id_token: string };
      return tokens.id_token;
    }
    const exchange = (idToken: string) =>
      fetch(`${url}/api/v1/tokens/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id_token: idToken }),
      });
    // One issued to the bot's own web client buys nothing.
    const forBot = await exchange(await idTokenFor('access-bot', 'bot-secret'));
    expect(forBot.status).toBe(401);
    expect(await documented('post', '/api/v1/tokens/exchange', forBot)).toMatchObject({
      error: 'invalid_id_token',
      message: expect.stringContaining('another application'),
    });
    const idToken = await idTokenFor(CLI_CLIENT);
    const first = await exchange(idToken);
    expect(first.status).toBe(201);
    expect(await documented('post', '/api/v1/tokens/exchange', first)).toMatchObject({
      token: expect.stringMatching(/^ark_pat_/),
      user: PEOPLE.requester,
    });
    const again = await exchange(idToken);
    expect(again.status).toBe(409);
    expect((await documented('post', '/api/v1/tokens/exchange', again)).error).toBe('id_token_used');
    const garbage = await exchange('not.a.token');
    expect(garbage.status).toBe(401);
    expect((await documented('post', '/api/v1/tokens/exchange', garbage)).message).toBe(
      'That is not an ID token this bot accepts.',
    );
    const empty = await fetch(`${url}/api/v1/tokens/exchange`, { method: 'POST', body: '{}' });
    expect(empty.status).toBe(400);
    await documented('post', '/api/v1/tokens/exchange', empty);
  });

  // Last: it uses up this address's exchanges for the next minute.
  it('past 30 exchanges a minute from one address: 429 with Retry-After, in the document', async () => {
    const answers = await Promise.all(
      Array.from({ length: 32 }, () =>
        fetch(`${url}/api/v1/tokens/exchange`, { method: 'POST', body: JSON.stringify({ id_token: 'x.y.z' }) }),
      ),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await documented('post', '/api/v1/tokens/exchange', limited[0]!)).error).toBe('rate_limited');
  });
});
