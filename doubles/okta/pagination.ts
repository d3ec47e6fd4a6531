import type { Answer } from './errors.js';

/**
 * One page of a list, as Okta pages them: ordered by id, cut at `min(limit, pageSize)` after the `after` id,
 * with a `Link` header holding `rel="self"` and, when more follow, `rel="next"` (carrying `extra`, e.g. the
 * search, along).
 */
export function page<T extends { id: string }>(
  all: T[],
  at: { base: string; path: string; pageSize: number },
  query: Record<string, string>,
  json: (item: T) => unknown,
  extra: Record<string, string> = {},
): Answer {
  const { base, path, pageSize } = at;
  const asked = Number(query.limit ?? pageSize);
  const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, pageSize) : pageSize;
  const sorted = [...all].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rest = query.after ? sorted.filter((u) => u.id > query.after!) : sorted;
  const items = rest.slice(0, limit);
  const link = (q: Record<string, string>) => `<${base}${path}?${new URLSearchParams({ ...extra, ...q }).toString()}>`;
  const links = [`${link({ limit: String(limit) })}; rel="self"`];
  if (rest.length > limit) links.push(`${link({ after: items.at(-1)!.id, limit: String(limit) })}; rel="next"`);
  return { status: 200, body: items.map(json), headers: { link: links.join(', ') } };
}
