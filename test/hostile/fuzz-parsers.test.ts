import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { RequestDetails } from '../../src/db/request-queries.js';
import { AccessFileError, parseAccessFile } from '../../src/services/catalog-service.js';
import { readFlowForm, readResourceForm } from '../../src/slack/admin/read-forms.js';
import { parsePlace } from '../../src/slack/home/listeners.js';
import { tuningBlock } from '../../src/slack/ids.js';
import { readRequestSubmission } from '../../src/slack/request/listeners.js';
import { readTuning } from '../../src/slack/review/read-tuning.js';
import {
  isRequestId,
  minutesValue,
  parseRequestRef,
  selectedValue,
  selectedValues,
  textValue,
} from '../../src/slack/state.js';
import { ACTIONS, BLOCKS, junkString, stateValues } from './arbitraries.js';
import { ACCESS_FILE } from '../support/workspace.js';

/**
 * Property-based fuzzing of every parser of Slack payload state and of the ACCESS_CONFIG loader: for any
 * input they return a well-formed value (or, for the file, one AccessFileError sentence) and never throw.
 * RUNS cases per property (FUZZ_RUNS overrides); fast-check shrinks any failure to a small example.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const opts = { numRuns: RUNS };

const request = {
  id: 'req_fuzz000001',
  durationMinutes: 480,
  resources: [
    { resourceId: 'res_1', name: 'web-1', type: 'ssh' },
    { resourceId: 'res_2', name: 'prod-db', type: 'database' },
    { resourceId: 'res_3', name: 'k8s', type: 'kubernetes' },
    { resourceId: 'res_4', name: 'grafana', type: 'http' },
    { resourceId: 'res_5', name: 'app', type: 'generic' },
  ],
} as unknown as RequestDetails;

describe(`Slack state readers under ${RUNS} random payloads each`, () => {
  it('text, selection and minute readers always return strings, string lists or null', () => {
    fc.assert(
      fc.property(stateValues, fc.constantFrom(...BLOCKS), fc.constantFrom(...ACTIONS), (v, block, action) => {
        expect(typeof textValue(v, block, action)).toBe('string');
        const one = selectedValue(v, block, action);
        expect(one === null || typeof one === 'string').toBe(true);
        expect(selectedValues(v, block, action).every((s) => typeof s === 'string')).toBe(true);
        const minutes = minutesValue(one);
        expect(minutes === null || (Number.isInteger(minutes) && minutes >= 0)).toBe(true);
      }),
      opts,
    );
  });

  it('the request form reader', () => {
    fc.assert(
      fc.property(stateValues, (v) => {
        const read = readRequestSubmission(v);
        expect(read.resourceNames.every((n) => typeof n === 'string')).toBe(true);
        expect(read.durationMinutes === null || Number.isInteger(read.durationMinutes)).toBe(true);
        expect(typeof read.justification).toBe('string');
      }),
      opts,
    );
  });

  it('the tuning reader grants only resources of the request, each with a valid shape', () => {
    fc.assert(
      fc.property(stateValues, (v) => {
        const read = readTuning(request, v);
        const names = new Set(request.resources.map((r) => r.name));
        expect(read.grants.every((g) => names.has(g.resource))).toBe(true);
        expect(new Set(read.grants.map((g) => g.resource)).size).toBe(read.grants.length);
        expect(Object.keys(read.errors).every((k) => k.startsWith('tune.'))).toBe(true);
        for (const g of read.grants) {
          if (g.type === 'ssh' && !read.errors[tuningBlock(g.resource, 'login')])
            expect(g.loginUsers.every((u) => /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/.test(u))).toBe(true);
          if (g.type === 'database') expect(['read-only', 'read-write']).toContain(g.access);
        }
      }),
      opts,
    );
  });

  it('the admin flow and resource form readers', () => {
    fc.assert(
      fc.property(stateValues, (v) => {
        const flow = readFlowForm(v);
        expect(typeof flow.name).toBe('string');
        expect(flow.requesterUsers.every((u) => typeof u === 'string')).toBe(true);
        expect(flow.durationChoices.every((d) => Number.isInteger(d))).toBe(true);
        const resource = readResourceForm(v);
        expect(['ssh', 'database', 'kubernetes', 'http', 'generic']).toContain(resource.type);
        expect(resource.provisioner === null || typeof resource.provisioner.settings === 'object').toBe(true);
      }),
      opts,
    );
  });

  it('private_metadata, request ids and App Home places', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          junkString,
          fc.json(),
          fc.anything().map((a) => JSON.stringify(a) ?? ''),
        ),
        (text) => {
          const ref = parseRequestRef(text);
          expect(ref === null || isRequestId(ref)).toBe(true);
          const place = parsePlace(text);
          expect(['mine', 'flows', 'resources']).toContain(place.tab);
          expect(Number.isInteger(place.page) && place.page >= 0).toBe(true);
        },
      ),
      opts,
    );
  });
});

/** The sample file as data, with one value somewhere replaced by anything. */
const base = JSON.parse(JSON.stringify((await import('yaml')).parse(ACCESS_FILE))) as Record<string, unknown>;
const mutated = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(
          'resources',
          'flows',
          'name',
          'type',
          'tags',
          'requesters',
          'approvers',
          'max_duration',
          'users',
          'groups',
          'justification',
          'provisioner',
          'lifecycle',
        ),
        fc.nat(3),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.anything(),
  )
  .map(([path, value]) => {
    const copy = structuredClone(base);
    let at: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      if (!next || typeof next !== 'object') break;
      at = next as Record<string | number, unknown>;
    }
    at[path.at(-1)!] = value;
    return stringify(copy);
  });

describe(`ACCESS_CONFIG loader under ${RUNS} random files each`, () => {
  const loads = (text: string) => {
    try {
      parseAccessFile(text);
    } catch (e) {
      expect(e).toBeInstanceOf(AccessFileError);
      expect((e as Error).message).toMatch(/^ACCESS_CONFIG/);
      expect((e as Error).message).not.toMatch(/\n/);
    }
  };
  it('random text', () => fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 500 }), loads), opts));
  it('random YAML documents', () =>
    fc.assert(
      fc.property(
        fc.anything().map((a) => stringify(a)),
        loads,
      ),
      opts,
    ));
  it('the sample file with one value replaced by anything', () => fc.assert(fc.property(mutated, loads), opts));
});
