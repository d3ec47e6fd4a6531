import type { FlowRow, ResourceRow } from '../db/catalog-queries.js';
import type { BundleRow } from '../domain/catalog.js';
import { homePlace, openHomePlace, saveHomePlace } from '../db/home-queries.js';
import type { RequestDetails } from '../db/request-queries.js';
import type { AccessReviewService, ReviewSummary } from './access-review-service.js';
import type { AdminService } from './admin-service.js';
import type { BreakGlassService } from './break-glass-service.js';
import type { PersonalTokenService, TokenSummary } from './personal-token-service.js';
import type { UserGroup } from './ports.js';
import type { ServiceDeps } from './deps.js';
import type { RequestService } from './request-service.js';

export const HOME_TABS = ['mine', 'flows', 'resources', 'reviews'] as const;
export type HomeTab = (typeof HOME_TABS)[number];
export const FLOWS_PER_PAGE = 15;
export const RESOURCES_PER_PAGE = 25;

export type HomeModel =
  | {
      tab: 'mine';
      isAdmin: boolean;
      /** Identity linking (OpenID Connect), when configured: the person's link, or null when not linked. */
      identity?: { linked: { email: string | null; provider: string } | null };
      mine: RequestDetails[];
      /** Ids of `mine` this person asked for on someone else's behalf: listed, without the beneficiary's buttons. */
      askedForOthers?: string[];
      toReview: RequestDetails[];
      /** Some flow designates this person for break-glass: the tab offers the button. */
      canBreakGlass?: boolean;
      /** Break-glass grants this approver or admin should review. */
      unreviewed?: RequestDetails[];
      /** Access reviews this person decides in (open first). */
      accessReviews?: ReviewSummary[];
      /** Their live personal tokens for the request API, the CLI and MCP (newest first). */
      tokens?: TokenSummary[];
    }
  | {
      tab: 'flows';
      isAdmin: true;
      page: number;
      pages: number;
      total: number;
      flows: FlowRow[];
      /** The user groups these flows name that are disabled in Slack (they match nobody), by id. */
      disabledGroups?: Record<string, UserGroup>;
    }
  | {
      tab: 'resources';
      isAdmin: true;
      page: number;
      pages: number;
      total: number;
      resources: ResourceRow[];
      /** Access profiles (domain/bundle.ts), listed under the resources. */
      bundles?: readonly BundleRow[];
    }
  | { tab: 'reviews'; isAdmin: true; reviews: ReviewSummary[] };

/**
 * What a person's App Home shows. The tab and page they chose are kept in the database, so a
 * refresh after a decision elsewhere keeps their place. Admin tabs are shown to admins only,
 * re-checked on every render.
 */
export function createHomeService(
  deps: ServiceDeps,
  requests: RequestService,
  admin: AdminService,
  breakGlass?: BreakGlassService,
  accessReviews?: AccessReviewService,
  personalTokens?: Pick<PersonalTokenService, 'listFor'>,
) {
  /** `opened`: the person just opened their Home (app_home_opened), recorded with the read of their place. */
  async function model(userId: string, opts: { opened?: boolean } = {}): Promise<HomeModel> {
    // Someone Slack does not know gets no home (and no views.publish Slack would refuse).
    await deps.directory.person(userId);
    const [place, isAdmin] = await Promise.all([
      opts.opened ? openHomePlace(deps.db, userId, deps.clock.now()) : homePlace(deps.db, userId),
      admin.isAdmin(userId).catch(() => false),
    ]);
    const tab = isAdmin && (HOME_TABS as readonly string[]).includes(place.tab) ? (place.tab as HomeTab) : 'mine';
    if (tab === 'flows') {
      const all = await admin.flows();
      const pages = Math.max(1, Math.ceil(all.length / FLOWS_PER_PAGE));
      const page = Math.min(Math.max(0, place.page), pages - 1);
      const flows = all.slice(page * FLOWS_PER_PAGE, (page + 1) * FLOWS_PER_PAGE);
      return {
        tab,
        isAdmin: true,
        page,
        pages,
        total: all.length,
        flows,
        disabledGroups: await disabledGroupsOf(flows),
      };
    }
    if (tab === 'resources') {
      const all = await admin.resources();
      const pages = Math.max(1, Math.ceil(all.length / RESOURCES_PER_PAGE));
      const page = Math.min(Math.max(0, place.page), pages - 1);
      return {
        tab,
        isAdmin: true,
        page,
        pages,
        total: all.length,
        resources: all.slice(page * RESOURCES_PER_PAGE, (page + 1) * RESOURCES_PER_PAGE),
        bundles: (await deps.catalog.snapshot()).bundles,
      };
    }
    if (tab === 'reviews') return { tab, isAdmin: true, reviews: (await accessReviews?.recent(20)) ?? [] };
    const [mine, toReview, glass, unreviewed, reviews, tokens] = await Promise.all([
      requests.listMine(userId, 30, undefined, true),
      requests.pendingFor(userId, 21),
      breakGlass?.optionsFor(userId) ?? [],
      breakGlass?.unreviewedFor(userId, 6) ?? [],
      accessReviews?.reviewsFor(userId, 5) ?? [],
      personalTokens?.listFor(userId) ?? [],
    ]);
    return {
      tab: 'mine',
      isAdmin,
      mine,
      askedForOthers: mine.filter((r) => r.requesterId !== userId).map((r) => r.id),
      toReview,
      canBreakGlass: glass.length > 0,
      unreviewed,
      ...(reviews.length ? { accessReviews: reviews } : {}),
      ...(tokens.length ? { tokens } : {}),
    };
  }

  /** One usergroups.list (cached by the directory); a Slack failure only leaves the notes out. */
  async function disabledGroupsOf(flows: FlowRow[]): Promise<Record<string, UserGroup>> {
    const named = new Set(flows.flatMap((f) => [...f.requesterGroups, ...f.approverGroups]));
    if (named.size === 0) return {};
    const groups = await deps.directory.groups().catch(() => [] as UserGroup[]);
    return Object.fromEntries(groups.filter((g) => g.disabled && named.has(g.id)).map((g) => [g.id, g]));
  }

  async function go(userId: string, tab: HomeTab, page: number) {
    await saveHomePlace(deps.db, userId, { tab, page: Math.max(0, Math.min(page, 10_000)) });
  }

  return { model, go };
}

export type HomeService = ReturnType<typeof createHomeService>;
