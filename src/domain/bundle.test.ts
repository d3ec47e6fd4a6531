import { describe, expect, it } from 'vitest';
import { AccessFileSchema, describeIssuePath } from './access-file.js';
import { bundlesFromFile, toAccessFile } from './access-file-mapping.js';
import { bundleDuration, bundlesFor, grantFromTuning, withinRequested, type Bundle } from './bundle.js';
import { aFlow, aResource } from './fixtures.test-support.js';
import { requestableResources } from './flow.js';

const FILE = {
  resources: [
    { name: 'prod-db', type: 'database' },
    { name: 'k8s-prod', type: 'kubernetes' },
    { name: 'grafana', type: 'http' },
  ],
  flows: [
    {
      name: 'db',
      resources: { names: ['prod-db'] },
      requesters: { everyone: true },
      approvers: { users: ['U0DBA'] },
      max_duration: '4h',
    },
    {
      name: 'ops',
      resources: { names: ['k8s-prod', 'grafana'] },
      requesters: { users: ['U0SRE'] },
      approvers: { users: ['U0OPS'] },
      max_duration: '8h',
    },
  ],
  bundles: [
    {
      name: 'incident-responder',
      resources: [
        { name: 'prod-db', tuning: { access: 'read-only', databases: ['app'] } },
        { name: 'k8s-prod', tuning: { role: 'view', namespaces: ['payments'] } },
        'grafana',
      ],
      duration: '2h',
    },
  ],
};

const firstProblem = (patch: (f: typeof FILE) => unknown) => {
  const file = structuredClone(FILE);
  patch(file);
  const result = AccessFileSchema.safeParse(file);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  return `${describeIssuePath(issue.path)}: ${issue.message}`;
};

describe('bundles in the access file', () => {
  it('reads parts with their tuning as grants of the resource type, and writes them back the same', () => {
    const file = AccessFileSchema.parse(FILE);
    const [bundle] = bundlesFromFile(file);
    expect(bundle).toEqual({
      name: 'incident-responder',
      description: '',
      parts: [
        {
          resource: 'prod-db',
          tuning: { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] },
        },
        {
          resource: 'k8s-prod',
          tuning: { type: 'kubernetes', resource: 'k8s-prod', role: 'view', namespaces: ['payments'] },
        },
        { resource: 'grafana', tuning: null },
      ],
      durationMinutes: 120,
      requesterUsers: [],
      requesterGroups: [],
    });
    const back = toAccessFile([], [], [bundle!]).bundles;
    expect(back).toEqual([{ ...FILE.bundles[0], duration: '2h' }]);
  });

  it('refuses an unknown resource, with its path', () => {
    expect(firstProblem((f) => (f.bundles[0]!.resources[2] = 'nope'))).toBe(
      'bundles[0].resources[2]: unknown resource "nope"',
    );
  });

  it('refuses tuning that does not fit the resource type, naming the field', () => {
    expect(firstProblem((f) => ((f.bundles[0]!.resources[0] as { tuning: object }).tuning = { role: 'view' }))).toBe(
      'bundles[0].resources[0].tuning.role: a database resource is tuned with access, databases, not role',
    );
    expect(
      firstProblem(
        (f) => ((f.bundles[0]!.resources[1] as { tuning: object }).tuning = { role: 'root', namespaces: ['x'] }),
      ),
    ).toMatch(/^bundles\[0\]\.resources\[1\]\.tuning\.role: /);
  });

  it('refuses a duration longer than every flow covering a part allows', () => {
    expect(firstProblem((f) => (f.bundles[0]!.duration = '6h'))).toBe(
      'bundles[0].duration: longer than any flow covering prod-db allows (240 minutes at most)',
    );
  });

  it('refuses two bundles of one name', () => {
    expect(firstProblem((f) => f.bundles.push(structuredClone(f.bundles[0]!)))).toBe(
      'bundles[1].name: duplicate name "incident-responder"',
    );
  });
});

describe('what a person sees of a bundle', () => {
  const resources = [
    aResource('prod-db'),
    aResource('k8s-prod', { type: 'kubernetes' }),
    aResource('grafana', { type: 'http' }),
  ];
  const flows = [
    aFlow({ name: 'db', resourceNames: ['prod-db'], requesterEveryone: true, maxDurationMinutes: 240 }),
    aFlow({ name: 'ops', resourceNames: ['k8s-prod', 'grafana'], requesterUsers: ['U0SRE'] }),
  ];
  const bundle: Bundle = {
    id: 'bdl_1',
    ...bundlesFromFile(AccessFileSchema.parse(FILE))[0]!,
  };
  const offer = (userId: string, b = bundle) =>
    bundlesFor([b], requestableResources(flows, resources, { userId, groupIds: new Set() }), {
      userId,
      groupIds: new Set(),
    });

  it('someone who may request every part gets them all', () => {
    const [o] = offer('U0SRE');
    expect(o!.parts.map((p) => p.resource.name)).toEqual(['prod-db', 'k8s-prod', 'grafana']);
    expect(o!.leftOut).toEqual([]);
  });

  it('someone who may request only some parts sees the bundle with the others named and left out', () => {
    const [o] = offer('U0DEV');
    expect(o!.parts.map((p) => p.resource.name)).toEqual(['prod-db']);
    expect(o!.leftOut).toEqual(['k8s-prod', 'grafana']);
  });

  it('a bundle limited to some requesters is hidden from the others', () => {
    expect(offer('U0DEV', { ...bundle, requesterUsers: ['U0SRE'] })).toEqual([]);
    expect(offer('U0SRE', { ...bundle, requesterUsers: ['U0SRE'] })).toHaveLength(1);
  });

  it('the form picks the bundle duration when offered, else the longest offered below it', () => {
    expect(bundleDuration({ durationMinutes: 120 }, [60, 120, 240])).toBe(120);
    expect(bundleDuration({ durationMinutes: 180 }, [60, 120, 240])).toBe(120);
    expect(bundleDuration({ durationMinutes: 10 }, [60, 120])).toBe(60);
  });
});

describe('the requested scope', () => {
  const asked = grantFromTuning('database', 'prod-db', { access: 'read-only', databases: ['app'] });
  const requested = 'grant' in asked ? [asked.grant] : [];

  it('an approver granting more than was asked grants what was asked', () => {
    const wide = {
      resources: [{ type: 'database' as const, resource: 'prod-db', access: 'read-write' as const, databases: [] }],
      durationMinutes: 60,
    };
    expect(withinRequested(wide, requested)?.resources).toEqual([
      { type: 'database', resource: 'prod-db', access: 'read-only', databases: ['app'] },
    ]);
  });

  it('an approver narrowing further keeps their narrowing; one with nothing in common grants nothing', () => {
    const other = {
      resources: [
        { type: 'database' as const, resource: 'prod-db', access: 'read-only' as const, databases: ['audit'] },
      ],
      durationMinutes: 60,
    };
    expect(withinRequested(other, requested)).toBeNull();
  });

  it('a resource the bundle did not tune is granted as approved', () => {
    const grafana = {
      resources: [{ type: 'http' as const, resource: 'grafana', access: 'full' as const }],
      durationMinutes: 30,
    };
    expect(withinRequested(grafana, requested)).toEqual(grafana);
  });
});
