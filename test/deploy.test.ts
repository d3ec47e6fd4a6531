import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.js';
import {
  buildsFrom,
  checkManifests,
  loadBundle,
  unlistedFiles,
  type AppFacts,
  type Bundle,
  type K8sObject,
} from './support/deploy-manifests.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * deploy/kubernetes as an operator applies it (`kubectl apply -k`), checked against the app itself: the
 * settings its config schema reads, the port it listens on, the routes it serves, the files its build
 * produces. The checker is also fed broken copies, each of which it must refuse.
 */
const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'deploy/kubernetes');

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
const shape = ConfigSchema.shape;
const facts: AppFacts = {
  configKeys: new Set(Object.keys(shape)),
  requiredKeys: Object.entries(shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([key]) => key),
  defaultPort: shape.PORT.parse(undefined),
  extraEnv: new Set(['NODE_ENV']),
  imageCmd: JSON.parse(/^CMD (\[.*\])$/m.exec(runtimeStage)![1]!) as string[],
  builds: buildsFrom(root),
};

const bundle = loadBundle(dir);

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)],
  );
}

/** A copy of the real manifests with one object changed. */
function broken(kind: string, change: (o: K8sObject) => void, name?: string): Bundle {
  const copy = structuredClone(bundle);
  const target = copy.objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!target) throw new Error(`no ${kind} ${name ?? ''} in deploy/`);
  change(target);
  return copy;
}
const bot = (d: K8sObject) => d.spec.template.spec.containers[0];

describe('deploy/kubernetes', () => {
  it('is valid YAML throughout, and the kustomization lists every file in it', () => {
    const yamlFiles = filesUnder(join(root, 'deploy')).filter((f) => /\.ya?ml$/.test(f));
    expect(yamlFiles.length).toBeGreaterThan(5);
    for (const file of yamlFiles)
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) expect(doc.errors, file).toEqual([]);
    expect(unlistedFiles(dir, bundle.kustomization)).toEqual([]);
    expect(bundle.objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining([
        'ConfigMap',
        'Deployment',
        'Job',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceMonitor',
      ]),
    );
  });

  it('agrees with the app: settings, required secrets, port, probes, commands, selectors, resources', () => {
    // The checks below are only as good as these facts read from the code.
    expect(facts.requiredKeys).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']));
    expect(facts.defaultPort).toBe(3000);
    expect(facts.builds('dist/main.js') && facts.builds('dist/db/migrate-cli.js')).toBe(true);
    expect(facts.builds('dist/db/no-such-file.js') || facts.builds('dist/config.test.js')).toBe(false);

    expect(checkManifests(bundle, facts).problems).toEqual([]);
  });

  it('probes the database for readiness only: liveness and start-up ask whether the process answers', () => {
    const container = bot(bundle.objects.find((o) => o.kind === 'Deployment')!);
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(container.livenessProbe.httpGet.path).toBe('/livez');
    expect(container.startupProbe.httpGet.path).toBe('/livez');
  });

  describe('against the running bot', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('every probe path and the scrape path answer 200', async () => {
      const { probePaths, scrapePaths } = checkManifests(bundle, facts);
      expect(probePaths.sort()).toEqual(['/healthz', '/livez']);
      for (const path of probePaths) expect((await fetch(`http://127.0.0.1:${h.port}${path}`)).status, path).toBe(200);
      expect(scrapePaths).toEqual(['/metrics']);
      // The harness sets no METRICS_TOKEN, so the route is open (test/metrics.test.ts covers the token).
      for (const path of scrapePaths) expect((await fetch(`http://127.0.0.1:${h.port}${path}`)).status, path).toBe(200);
      // An unknown path is a 404 here, so the check above does tell served from not served.
      expect((await fetch(`http://127.0.0.1:${h.port}/no-such-probe`)).status).toBe(404);
    });
  });

  describe('the checker refuses manifests that disagree with the app', () => {
    const cases: Array<[string, () => Bundle, RegExp]> = [
      [
        'an env var the app does not read',
        () => broken('Deployment', (d) => bot(d).env.push({ name: 'SLACK_TOKEN', value: 'x' })),
        /SLACK_TOKEN is not a setting the app reads/,
      ],
      [
        'an unknown key in the env ConfigMap',
        () => broken('ConfigMap', (c) => (c.data.LOGLEVEL = 'debug'), 'access-requests-env'),
        /LOGLEVEL is not a setting the app reads/,
      ],
      [
        'a provisioner secret nothing references',
        () => broken('Secret', (s) => (s.stringData.ACCESS_SECRET_PROD_DB_ADMIN_URL = 'postgres://x')),
        /ACCESS_SECRET_PROD_DB_ADMIN_URL is not a setting/,
      ],
      [
        'a required secret missing',
        () => broken('Secret', (s) => delete s.stringData.SLACK_SIGNING_SECRET),
        /SLACK_SIGNING_SECRET reads access-requests\/SLACK_SIGNING_SECRET, which deploy\/ does not define/,
      ],
      [
        'a required setting not passed',
        () =>
          broken(
            'Deployment',
            (d) =>
              (bot(d).env = bot(d).env.filter((e: any) => e.name !== 'SLACK_BOT_TOKEN')) &&
              (bot(d).envFrom = bot(d).envFrom.filter((e: any) => !e.secretRef)),
          ),
        /required setting SLACK_BOT_TOKEN is not provided/,
      ],
      [
        'no DATABASE_URL for the Job',
        () => broken('Job', (j) => (bot(j).env = [])),
        /Job access-requests-migrate.*DATABASE_URL is not set/,
      ],
      [
        'a value the app refuses',
        () => broken('ConfigMap', (c) => (c.data.LOG_LEVEL = 'verbose'), 'access-requests-env'),
        /environment is refused by the app: LOG_LEVEL/,
      ],
      [
        'a containerPort that is not PORT',
        () => broken('Deployment', (d) => (bot(d).ports[0].containerPort = 8080)),
        /containerPort http \(8080\) is not the port the app listens on \(3000\)/,
      ],
      [
        'a probe on another port',
        () => broken('Deployment', (d) => (bot(d).readinessProbe.httpGet.port = 9090)),
        /readinessProbe targets port 9090/,
      ],
      [
        'a Service selecting other pods',
        () => broken('Service', (s) => (s.spec.selector['app.kubernetes.io/component'] = 'web')),
        /Service access-requests: selector does not match/,
      ],
      [
        'a Service targetPort the container lacks',
        () => broken('Service', (s) => (s.spec.ports[0].targetPort = 'web')),
        /targetPort web is no port of the bot container/,
      ],
      [
        'a Service also selecting the Job',
        () => broken('Service', (s) => delete s.spec.selector['app.kubernetes.io/component']),
        /Job access-requests-migrate: its pods would receive Service traffic/,
      ],
      [
        'a PDB selecting other pods',
        () => broken('PodDisruptionBudget', (p) => (p.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other')),
        /PodDisruptionBudget access-requests: selector does not match/,
      ],
      [
        'a PDB that blocks every eviction',
        () => broken('PodDisruptionBudget', (p) => (p.spec.minAvailable = 2)),
        /minAvailable must leave a replica/,
      ],
      [
        'a ServiceMonitor on a port name the Service lacks',
        () => broken('ServiceMonitor', (m) => (m.spec.endpoints[0].port = 'metrics')),
        /port metrics is no named port of the Service/,
      ],
      [
        'a ServiceMonitor token key the Secret lacks',
        () => broken('ServiceMonitor', (m) => (m.spec.endpoints[0].authorization.credentials.key = 'PROM_TOKEN')),
        /token access-requests\/PROM_TOKEN is no key/,
      ],
      [
        'no memory limit',
        () => broken('Deployment', (d) => delete bot(d).resources.limits.memory),
        /resources\.limits\.memory is not set/,
      ],
      [
        'a command no build produces',
        () => broken('Job', (j) => (bot(j).command = ['node', 'dist/db/migrate.js'])),
        /command \["node","dist\/db\/migrate\.js"\] does not run a file/,
      ],
      [
        'a command other than the image CMD',
        () => broken('Deployment', (d) => (bot(d).command = ['node', 'dist/db/migrate-cli.js'])),
        /is not the image's CMD/,
      ],
      [
        'a writable root filesystem',
        () => broken('Deployment', (d) => (bot(d).securityContext.readOnlyRootFilesystem = false)),
        /root filesystem is not read-only/,
      ],
      [
        'running as root',
        () => broken('Job', (j) => (j.spec.template.spec.securityContext = { runAsUser: 0 })),
        /must run as the image's node user/,
      ],
      [
        'ACCESS_CONFIG outside the mounted ConfigMap',
        () =>
          broken(
            'Deployment',
            (d) => (bot(d).env.find((e: any) => e.name === 'ACCESS_CONFIG').value = '/etc/access.yml'),
          ),
        /ACCESS_CONFIG \/etc\/access\.yml is no file of a mounted ConfigMap/,
      ],
      [
        'an ACCESS_CONFIG the bot refuses',
        () =>
          broken(
            'ConfigMap',
            (c) => (c.data['access.yml'] += '\n    approvals_required: many\n'),
            'access-requests-access-config',
          ),
        /the mounted ACCESS_CONFIG is refused/,
      ],
      [
        'an ACCESS_CONFIG secret file no volume mounts',
        () =>
          broken(
            'ConfigMap',
            (c) =>
              (c.data['access.yml'] = c.data['access.yml'].replace(
                '"env:ACCESS_SECRET_GRANTS_WEBHOOK_SECRET"',
                '"file:/run/secrets/hook"',
              )),
            'access-requests-access-config',
          ),
        /reads file:\/run\/secrets\/hook, which no volume mounts/,
      ],
    ];
    it.each(cases)('%s', (_what, make, problem) => {
      expect(checkManifests(make(), facts).problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    });

    it('accepts a provisioner secret once ACCESS_CONFIG references it', () => {
      const withSecret = broken('Secret', (s) => (s.stringData.ACCESS_SECRET_PROD_DB_ADMIN_URL = 'postgres://x'));
      const cm = withSecret.objects.find((o) => o.metadata.name === 'access-requests-access-config')!;
      cm.data['access.yml'] = cm.data['access.yml'].replace(
        '  - name: grafana',
        '  - name: prod-db\n    type: database\n    provisioner: { type: postgres, admin_url: "env:ACCESS_SECRET_PROD_DB_ADMIN_URL", host: db.internal }\n  - name: grafana',
      );
      expect(checkManifests(withSecret, facts).problems).toEqual([]);
    });

    it('reports a file the kustomization does not list', () => {
      const kustomization = {
        ...bundle.kustomization,
        resources: bundle.kustomization.resources.filter((f: string) => f !== 'pdb.yaml'),
      };
      expect(unlistedFiles(dir, kustomization)).toEqual(['pdb.yaml']);
    });
  });
});
