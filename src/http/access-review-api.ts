import { isAppError } from '../domain/errors.js';
import { reviewCsv, type ReviewExport } from '../services/access-review-export.js';
import { requireApiKey, type KeyVerifier } from './api-key-auth.js';
import type { Route } from './server.js';

const REVIEW_ID = /^rev_[0-9a-z]{6,20}$/;

/**
 * GET /api/v1/reviews/<id>?format=json|csv: an access review's result (docs/access-reviews.md), with the
 * API key auth of the rest of the API (`Authorization: Bearer`).
 */
export function accessReviewRoutes(exportReview: (id: string) => Promise<ReviewExport>, keys: KeyVerifier): Route[] {
  return [
    {
      path: '/api/v1/reviews/*',
      method: 'GET',
      handler: async (req, res, url) => {
        if (!requireApiKey(req, res, keys)) return;
        const id = url.pathname.slice('/api/v1/reviews/'.length);
        const format = url.searchParams.get('format') ?? 'json';
        const fail = (status: number, error: string, message: string) => {
          res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ error, message }));
        };
        if (!REVIEW_ID.test(id))
          return fail(404, 'not_found', 'Name a review by its id, like /api/v1/reviews/rev_7f3k2m9x4q.');
        if (format !== 'json' && format !== 'csv') return fail(400, 'invalid_request', 'format is json or csv.');
        let result: ReviewExport;
        try {
          result = await exportReview(id);
        } catch (e) {
          if (isAppError(e) && e.code === 'not_found')
            return fail(404, 'not_found', `There is no access review ${id}.`);
          throw e;
        }
        const body = format === 'csv' ? reviewCsv(result) : JSON.stringify(result);
        res.writeHead(200, {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json',
          'cache-control': 'no-store',
          'content-disposition': `attachment; filename="${id}.${format}"`,
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(body);
      },
    },
  ];
}
