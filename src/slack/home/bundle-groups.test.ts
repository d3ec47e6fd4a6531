import { describe, expect, it } from 'vitest';
import type { RequestDetails } from '../../domain/request.js';
import { bundleGroupedBlocks, groupByBundle } from './bundle-groups.js';
import { section } from '../views.js';

const req = (id: string, bundle?: string) =>
  ({ id, bundle: bundle ? { id: `bdr_${bundle}`, name: bundle, parts: 2 } : null }) as unknown as RequestDetails;

describe('a bundle pick’s parts listed together (App Home)', () => {
  it('pulls later parts up to the first part of their pick and keeps the rest in order', () => {
    const list = [req('a', 'ir'), req('b'), req('c', 'ops'), req('d', 'ir'), req('e')];
    expect(groupByBundle(list).map((g) => g.map((r) => r.id))).toEqual([['a', 'd'], ['b'], ['c'], ['e']]);
  });

  it('puts one heading over each pick, and none past the room given', () => {
    const render = (r: RequestDetails) => [section(r.id)];
    const list = [req('a', 'ir'), req('b'), req('c', 'ops'), req('d', 'ir')];
    const text = (n: number) =>
      bundleGroupedBlocks(list, render, n).map((b) => (b as { text: { text: string } }).text.text);
    expect(text(5)).toEqual([':package: *ir*', 'a', 'd', 'b', ':package: *ops*', 'c']);
    expect(text(1)).toEqual([':package: *ir*', 'a', 'd', 'b', 'c']);
  });
});
