import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}

const PASSWORD = 'Hunter/2?x#y:z%';
const URL_TEXT = `postgres://admin:${PASSWORD}@db.internal:5432/app`;

function invalidUrlError(): Error {
  try {
    new URL(URL_TEXT);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an invalid URL');
}

describe('the logger keeps credentials out of every line', () => {
  it("drops the `input` of Node's Invalid URL error, at the top, in a cause and in a list", () => {
    const { logger, lines } = capture();
    const error = invalidUrlError();
    expect((error as Error & { input: string }).input).toContain(PASSWORD);
    logger.warn({ err: error }, 'could not connect');
    logger.error(error);
    logger.error({ err: new Error('wrapped', { cause: error }), failures: [error] }, 'nested');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain('Hunter');
      expect(line).not.toContain('"input"');
      expect(line).toContain('Invalid URL');
    }
  });

  it('strips user and password from URLs in messages, error messages and nested fields', () => {
    const { logger, lines } = capture();
    logger.info({ target: { admin: URL_TEXT, all: [URL_TEXT, 'https://ci-token@git.example.com/repo'] } }, 'saved');
    logger.warn({ err: new Error(`connect to ${URL_TEXT} failed`) }, `sampling ${URL_TEXT} failed`);
    logger.info('printf %s', URL_TEXT);
    logger.child({ component: 'x' }).warn({ deep: { a: { b: { c: `"${URL_TEXT}"` } } } }, 'child');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toContain('Hunter');
      expect(line).not.toContain('ci-token');
    }
    const first = JSON.parse(lines[0]!) as { target: { admin: string; all: string[] } };
    expect(first.target.admin).toBe('postgres://[redacted]@db.internal:5432/app');
    expect(first.target.all[1]).toBe('https://[redacted]@git.example.com/repo');
    expect(JSON.parse(lines[1]!).msg).toBe('sampling postgres://[redacted]@db.internal:5432/app failed');
    expect(JSON.parse(lines[2]!).msg).toBe('printf postgres://[redacted]@db.internal:5432/app');
  });

  it('leaves URLs without credentials, Slack token redaction and ordinary fields as they were', () => {
    const { logger, lines } = capture();
    logger.info(
      { url: 'https://slack.com/api/chat.postMessage', email: 'rita@example.com', n: 3, at: new Date(0) },
      'token xoxb-1111-2222-abc in a message',
    );
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      url: 'https://slack.com/api/chat.postMessage',
      email: 'rita@example.com',
      n: 3,
      at: '1970-01-01T00:00:00.000Z',
      msg: 'token [redacted-token] in a message',
    });
  });

  it("keeps an API key's or personal token's id and drops its secret", () => {
    const { logger, lines } = capture();
    const secret = 'A'.repeat(40) + '-_b';
    logger.info({ header: `Bearer ark_pat_0123456789_${secret}` }, `key ark_key_abcdefghjk_${secret}`);
    expect(lines[0]).not.toContain(secret);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line.header).toBe('Bearer ark_pat_0123456789_[redacted]');
    expect(line.msg).toBe('key ark_key_abcdefghjk_[redacted]');
  });
});
