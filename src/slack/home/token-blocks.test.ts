import { describe, expect, it } from 'vitest';
import type { TokenSummary } from '../../services/personal-token-service.js';
import { tokenBlocks } from './token-blocks.js';

const token = (i: number): TokenSummary => ({
  id: `pat_000000000${i}`,
  name: `laptop ${i}`,
  createdAt: new Date(0),
  expiresAt: new Date(86_400_000),
  lastUsedAt: null,
  createdVia: 'slack',
});
const tokens = (n: number) => Array.from({ length: n }, (_, i) => token(i));

describe('"Your tokens" in App Home stays within the room it is given', () => {
  it('shows five tokens with their Revoke buttons and counts the rest', () => {
    const blocks = tokenBlocks(tokens(7), 100);
    expect(blocks).toHaveLength(8);
    expect(JSON.stringify(blocks)).toContain('…and 2 more');
    expect(JSON.stringify(blocks.slice(2, 7)).match(/token\.revoke/g)).toHaveLength(5);
  });

  it('never takes more blocks than the budget, down to one line or nothing', () => {
    for (const n of [1, 3, 5, 6, 12])
      for (let budget = 0; budget <= 10; budget++)
        expect(tokenBlocks(tokens(n), budget).length).toBeLessThanOrEqual(budget);
    expect(tokenBlocks(tokens(3), 2)).toHaveLength(1);
    expect(tokenBlocks([], 100)).toEqual([]);
  });
});
