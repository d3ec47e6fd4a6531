import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOUBLE_CLIENT_ID,
  DOUBLE_CLIENT_SECRET,
  startEntraDouble,
  type EntraDouble,
} from '../../doubles/entra/entra-double.js';
import { GroupSourceFileSchema, groupSourceFromFile } from '../../src/domain/group-source.js';
import { entraManagers } from '../../src/provisioners/entra/entra-managers.js';

/** The Entra ID manager source against the Graph double: what Graph answers, and what the source makes of it. */
let entra: EntraDouble;
beforeAll(async () => {
  entra = await startEntraDouble();
});
afterAll(async () => {
  await entra?.stop();
});

const emails: Record<string, string> = { U0RITA: 'rita@example.com', U0DANA: 'dana@example.com' };
const directory = {
  person: (id: string) => Promise.resolve({ id, email: emails[id] ?? null }),
  userIdByEmail: (email: string) =>
    Promise.resolve(Object.entries(emails).find(([, e]) => e === email.toLowerCase())?.[0] ?? null),
} as never;
const source = () =>
  groupSourceFromFile(
    GroupSourceFileSchema.parse({
      name: 'entra-jit',
      source: 'entra',
      connection: {
        tenant_id: entra.tenantId,
        client_id: DOUBLE_CLIENT_ID,
        client_secret: 'env:ACCESS_SECRET_ENTRA',
        authority_host: entra.url,
        graph_url: entra.url,
      },
      filter: { name_prefix: 'jit-' },
      tags: ['jit'],
    }),
  );
const secrets = { resolveSettings: (s: Record<string, unknown>) => ({ ...s, client_secret: DOUBLE_CLIENT_SECRET }) };
const managers = () => entraManagers(source(), secrets, directory, { ca: entra.ca });

describe('the manager from Microsoft Graph', () => {
  it("answers Graph's user payload, and 404 Request_ResourceNotFound naming 'manager' when there is none", async () => {
    entra.setAppRoles(DOUBLE_CLIENT_ID, ['User.Read.All']);
    const dana = entra.addUser({ userPrincipalName: 'dana@example.com', displayName: 'Dana' });
    entra.addUser({ userPrincipalName: 'rita@example.com', managerId: dana.id });
    expect(await managers().managerOf('U0RITA')).toEqual({ slackId: 'U0DANA', source: 'Entra ID' });
    expect(await managers().managerOf('U0DANA')).toEqual({ slackId: null, source: 'Entra ID' });
    // The wire: Graph's payload for a manager, and its error body for a user without one.
    const token = String(entra.requests.find((r) => r.path.includes('/manager'))!.headers.authorization);
    const get = (path: string) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        https
          .get(`${entra.url}${path}`, { ca: entra.ca, headers: { authorization: token } }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }),
            );
          })
          .on('error', reject);
      });
    expect(await get('/v1.0/users/rita@example.com/manager')).toMatchObject({
      status: 200,
      body: {
        '@odata.context': expect.stringContaining('/v1.0/$metadata#directoryObjects(') as unknown,
        '@odata.type': '#microsoft.graph.user',
        id: dana.id,
        displayName: 'Dana',
        mail: 'dana@example.com',
        userPrincipalName: 'dana@example.com',
      },
    });
    expect(await get('/v1.0/users/dana@example.com/manager')).toMatchObject({
      status: 404,
      body: {
        error: {
          code: 'Request_ResourceNotFound',
          message:
            "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
        },
      },
    });
  });

  it('with only User.ReadBasic.All Graph answers 403: a failure, never a throw', async () => {
    entra.setAppRoles(DOUBLE_CLIENT_ID, ['User.ReadBasic.All']);
    expect(await managers().managerOf('U0RITA')).toEqual({ slackId: null, source: 'Entra ID', failure: 'HTTP 403' });
  });

  it('a wrong secret: the sign-in is refused, said without the secret', async () => {
    const wrong = { resolveSettings: (s: Record<string, unknown>) => ({ ...s, client_secret: 'not-it' }) };
    const answer = await entraManagers(source(), wrong, directory, {
      ca: entra.ca,
      retry: { maxRetries: 0, delaySeconds: 0, maxRetryAfterSeconds: 0 },
    }).managerOf('U0RITA');
    expect(answer.slackId).toBeNull();
    expect(answer.failure).toBeDefined();
    expect(answer.failure).not.toContain('not-it');
  });
});
