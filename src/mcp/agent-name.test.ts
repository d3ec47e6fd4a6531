import { describe, expect, it } from 'vitest';
import { agentOf, cleanAgentName } from './agent-name.js';

describe('the agent name the audit and the approver see', () => {
  it.each([
    ['Claude Code', 'Claude Code'],
    ['  cursor\tagent  ', 'cursor agent'],
    ['evil\n*approved by admin*', 'evil *approved by admin*'],
    ['ok\u202eedoc', 'okedoc'],
    ['a\u200bb', 'ab'],
    ['Claude \u{1F916}', 'Claude'],
    ['Zoë', 'Zoe'],
    ['エージェント', null],
    ['', null],
    ['\n\t ', null],
    [42, null],
  ])('%j becomes %j', (raw, clean) => expect(cleanAgentName(raw)).toBe(clean));

  it('is cut to 64 characters, as X-Access-Agent allows', () => {
    expect(cleanAgentName('x'.repeat(500))).toBe('x'.repeat(64));
  });

  it("is the client's name without its version", () => {
    expect(agentOf({ name: 'claude-code', version: '1.2.3' } as { name: string })).toBe('claude-code');
    expect(agentOf(undefined)).toBeNull();
  });
});
