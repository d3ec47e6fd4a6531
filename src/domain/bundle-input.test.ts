import { describe, expect, it } from 'vitest';
import { bundleFromForm } from './bundle-input.js';
import { aFlow, aResource } from './fixtures.test-support.js';

const resources = [aResource('prod-db'), aResource('grafana', { type: 'http' })];
const flows = [aFlow({ name: 'db', resourceNames: ['prod-db', 'grafana'], maxDurationMinutes: 240 })];
const form = { name: 'db-reader', description: '', resources: ['prod-db'], duration: '1h', tuning: null };

describe('the App Home bundle form', () => {
  it('makes a bundle with each tuned part as a grant of its type', () => {
    expect(bundleFromForm({ ...form, tuning: { 'prod-db': { access: 'read-only' } } }, resources, flows)).toEqual({
      ok: true,
      bundle: {
        name: 'db-reader',
        description: '',
        parts: [
          {
            resource: 'prod-db',
            tuning: { type: 'database', resource: 'prod-db', access: 'read-only', databases: [] },
          },
        ],
        durationMinutes: 60,
        requesterUsers: [],
        requesterGroups: [],
      },
    });
  });

  it('says what is wrong under each field', () => {
    expect(bundleFromForm({ ...form, name: 'Bad Name', resources: [], duration: 'soon' }, resources, flows)).toEqual({
      ok: false,
      errors: {
        name: 'Name: use lower-case letters, digits, - _ . (starting with a letter or digit).',
        resources: 'Pick at least one resource.',
        duration: 'Write a duration like 30m, 2h or 1d.',
      },
    });
    expect(bundleFromForm({ ...form, tuning: { grafana: { access: 'full' } } }, resources, flows)).toEqual({
      ok: false,
      errors: { tuning: 'grafana: not one of the picked resources.' },
    });
    expect(bundleFromForm({ ...form, tuning: { 'prod-db': { access: 'admin' } } }, resources, flows)).toMatchObject({
      ok: false,
      errors: { tuning: expect.stringMatching(/^prod-db\.access: /) },
    });
    expect(bundleFromForm({ ...form, duration: '8h' }, resources, flows)).toEqual({
      ok: false,
      errors: { duration: 'This is longer than any flow covering prod-db allows (240 minutes at most).' },
    });
  });
});
