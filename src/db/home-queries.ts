import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Executor } from './client.js';
import { homeState } from './schema/index.js';

export interface HomePlace {
  tab: string;
  page: number;
}

export async function homePlace(db: Executor, userId: string): Promise<HomePlace> {
  const [row] = await db
    .select({ tab: homeState.tab, page: homeState.page })
    .from(homeState)
    .where(eq(homeState.userId, userId));
  return row ?? { tab: 'mine', page: 0 };
}

export async function saveHomePlace(db: Executor, userId: string, place: HomePlace) {
  await db
    .insert(homeState)
    .values({ userId, ...place })
    .onConflictDoUpdate({ target: homeState.userId, set: place });
}

/** The person opened their Home now: remembered (they get it re-published after changes); their place. */
export async function openHomePlace(db: Executor, userId: string, at: Date): Promise<HomePlace> {
  const [row] = await db
    .insert(homeState)
    .values({ userId, openedAt: at })
    .onConflictDoUpdate({ target: homeState.userId, set: { openedAt: at } })
    .returning({ tab: homeState.tab, page: homeState.page });
  return row ?? { tab: 'mine', page: 0 };
}

/** Of these people, those who have opened their App Home (only their Home is re-published after a change). */
export async function homeReadersAmong(db: Executor, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ userId: homeState.userId })
    .from(homeState)
    .where(and(inArray(homeState.userId, userIds), isNotNull(homeState.openedAt)));
  return rows.map((r) => r.userId);
}
