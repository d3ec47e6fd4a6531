import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { ENDPOINTS } from '../../src/http/requests-api.js';
import type { Harness } from './harness.js';

/**
 * The request API as a client sees it: fetch against the bot's port, with every answer checked against the
 * OpenAPI document the bot serves (its schema for that route and status), error answers included.
 */
export interface ApiAnswer {
  status: number;
  headers: Headers;

  json: any;
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

export async function openApiChecker(h: Harness) {
  const res = await fetch(`http://127.0.0.1:${h.port}/api/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s));
  ajv.addSchema(doc, 'openapi');
  const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
  let checked = 0;

  /** Validates an answer against the document; returns the route template it matched. */
  function check(method: string, path: string, answer: ApiAnswer): void {
    const endpoint = ENDPOINTS.find(
      (e) => e.method === method && new RegExp(`^${e.path.replace('{id}', '[^/]+')}$`).test(path),
    );
    if (!endpoint) throw new Error(`no route of the document for ${method} ${path}`);
    const operation = doc.paths[endpoint.path]?.[method.toLowerCase()];
    expect(operation, `${method} ${endpoint.path} is in the document`).toBeDefined();
    expect(Object.keys(operation!.responses), `${method} ${endpoint.path} documents ${answer.status}`).toContain(
      String(answer.status),
    );
    const ref = `openapi#/${pointer('paths', endpoint.path, method.toLowerCase(), 'responses', String(answer.status), 'content', 'application/json', 'schema')}`;
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    if (!validate(answer.json))
      throw new Error(
        `${method} ${path} ${answer.status} does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.json)}`,
      );
    checked++;
  }

  return { doc, check, checked: () => checked };
}

export type Checker = Awaited<ReturnType<typeof openApiChecker>>;

/** A client of the request API for one token (and the channel and agent it declares). */
export function apiClient(h: Harness, checker: Checker, token: string | null, headers: Record<string, string> = {}) {
  return async function call(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const res = await fetch(`http://127.0.0.1:${h.port}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
        ...options.headers,
      },
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    });
    const answer = { status: res.status, headers: res.headers, json: await res.json() };
    checker.check(method, path.split('?')[0]!, answer);
    return answer;
  };
}
