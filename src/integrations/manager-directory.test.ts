import { describe, expect, it } from 'vitest';
import type { ManagerAnswer, ManagerDirectory } from '../services/ports.js';
import { cachedManagers, firstManagerOf, mappedManagers } from './manager-directory.js';

const emails: Record<string, string> = { U0RITA: 'Rita@Example.com', U0DANA: 'dana@example.com', U0OSC: 'o@x.io' };
const directory = {
  person: (id: string) => Promise.resolve({ id, email: emails[id] ?? null }) as never,
  userIdByEmail: (email: string) =>
    Promise.resolve(Object.entries(emails).find(([, e]) => e.toLowerCase() === email.toLowerCase())?.[0] ?? null),
};
const fixed = (answer: ManagerAnswer): ManagerDirectory => ({ managerOf: () => Promise.resolve(answer) });

describe('the managers: mapping', () => {
  const mapping = mappedManagers(
    { U0OSC: 'U0DANA', 'rita@example.com': 'dana@example.com', 'dana@example.com': 'nobody@example.com' },
    directory,
  );

  it('a Slack id maps to a Slack id as written', async () => {
    expect(await mapping.managerOf('U0OSC')).toEqual({ slackId: 'U0DANA', source: 'access file' });
  });

  it("an e-mail key matches the requester's Slack e-mail in any case, and the manager's e-mail is looked up", async () => {
    expect(await mapping.managerOf('U0RITA')).toEqual({ slackId: 'U0DANA', source: 'access file' });
  });

  it('a manager e-mail no Slack user has is said, so the fallback is asked with a note', async () => {
    expect(await mapping.managerOf('U0DANA')).toEqual({
      slackId: null,
      source: 'access file',
      unknownEmail: 'nobody@example.com',
    });
  });

  it('someone the mapping does not name has no manager in it', async () => {
    expect(await mapping.managerOf('U0ELSE')).toEqual({ slackId: null, source: 'access file' });
  });
});

describe('several sources', () => {
  it('the first to know wins; when none does, the first with something to say is kept', async () => {
    const unknown = fixed({ slackId: null, source: 'access file', unknownEmail: 'x@example.com' });
    const none = fixed({ slackId: null, source: 'Okta' });
    const found = fixed({ slackId: 'U0DANA', source: 'Entra ID' });
    expect(await firstManagerOf([unknown, none, found])!.managerOf('U0RITA')).toMatchObject({ slackId: 'U0DANA' });
    expect(await firstManagerOf([unknown, none])!.managerOf('U0RITA')).toMatchObject({ unknownEmail: 'x@example.com' });
    expect(await firstManagerOf([none, fixed({ slackId: null, source: 'Entra ID' })])!.managerOf('U0RITA')).toEqual({
      slackId: null,
      source: 'Entra ID',
    });
  });

  it('answers are cached for ten minutes, failures are not', async () => {
    let calls = 0;
    let now = 0;
    let failing = true;
    const cached = cachedManagers(
      {
        managerOf: () => {
          calls += 1;
          return Promise.resolve(
            failing
              ? { slackId: null, source: 'Entra ID', failure: 'HTTP 503' }
              : { slackId: 'U0D', source: 'Entra ID' },
          );
        },
      },
      () => now,
    );
    await cached.managerOf('U0RITA');
    await Promise.resolve();
    failing = false;
    await cached.managerOf('U0RITA');
    await cached.managerOf('U0RITA');
    expect(calls).toBe(2);
    now = 10 * 60_000;
    await cached.managerOf('U0RITA');
    expect(calls).toBe(3);
  });
});
