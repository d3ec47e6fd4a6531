/**
 * Reads the Kubernetes manifests of deploy/kubernetes as `kubectl apply -k` would see them (resources plus
 * the ConfigMaps its generators make) and checks them against what the app really reads and serves.
 * `checkManifests` returns the problems as sentences, so the test can feed it broken copies too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config.js';
import { createKubernetesProvisioner } from '../../src/provisioners/kubernetes/kubernetes-provisioner.js';
import { createPostgresProvisioner } from '../../src/provisioners/postgres/postgres-provisioner.js';
import { createProvisionerRegistry } from '../../src/provisioners/registry.js';
import { createSshProvisioner } from '../../src/provisioners/ssh/ssh-provisioner.js';
import { createWebhookProvisioner } from '../../src/provisioners/webhook/webhook-provisioner.js';
import { checkProvisioners, parseAccessFile } from '../../src/services/catalog-service.js';

/** A Kubernetes object as parsed from YAML: untyped JSON. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: any;
};

export interface Bundle {
  kustomization: any;
  objects: K8sObject[];
}

/** What the code says: config keys, which are required, the default port, what `npm run build` produces. */
export interface AppFacts {
  configKeys: Set<string>;
  requiredKeys: string[];
  defaultPort: number;
  /** Env vars the image itself relies on that are no setting of the app (NODE_ENV). */
  extraEnv: Set<string>;
  /** The Dockerfile's CMD. */
  imageCmd: string[];
  /** Whether `npm run build` emits this path (e.g. dist/main.js). */
  builds(path: string): boolean;
}

/** `KEY=value` lines of a kustomize env file (comments and blank lines skipped). */
function parseEnvFile(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  return Object.fromEntries(entries);
}

export function loadBundle(dir: string): Bundle {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  const objects: K8sObject[] = [];
  for (const file of kustomization.resources ?? []) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      if (doc.contents !== null) objects.push(doc.toJS());
    }
  }
  for (const gen of kustomization.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const f of gen.envs ?? []) Object.assign(data, parseEnvFile(readFileSync(join(dir, f), 'utf8')));
    for (const f of gen.files ?? []) data[f.split('/').at(-1)] = readFileSync(join(dir, f), 'utf8');
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data });
  }
  return { kustomization, objects };
}

/** Files under `dir` that kustomization.yaml neither lists as a resource nor reads in a generator. */
export function unlistedFiles(dir: string, kustomization: any): string[] {
  const listed = new Set<string>(['kustomization.yaml', ...(kustomization.resources ?? [])]);
  for (const gen of [...(kustomization.configMapGenerator ?? []), ...(kustomization.secretGenerator ?? [])])
    for (const f of [...(gen.envs ?? []), ...(gen.files ?? [])]) listed.add(f);
  return readdirSync(dir).filter((f) => !listed.has(f));
}

/** Maps `dist/x/y.js` to `src/x/y.ts` through tsconfig.build.json (rootDir src, outDir dist, tests excluded). */
export function buildsFrom(root: string): (path: string) => boolean {
  const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  const { rootDir, outDir } = build.compilerOptions;
  const excluded = (build.exclude as string[]).map((glob) => glob.replace(/^.*\*/, ''));
  return (path) => {
    if (!path.startsWith(`${outDir}/`) || !path.endsWith('.js')) return false;
    const source = `${rootDir}/${path.slice(outDir.length + 1, -3)}.ts`;
    const included = (build.include as string[]).some((dir) => source.startsWith(`${dir}/`));
    return included && !excluded.some((suffix) => source.endsWith(suffix)) && existsSync(join(root, source));
  };
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Boolean(selector) &&
  Object.keys(selector!).length > 0 &&
  Object.entries(selector!).every(([k, v]) => labels?.[k] === v);

/** `env:ACCESS_SECRET_NAME` references of an ACCESS_CONFIG text (provisioner secrets read from the bot's environment). */
export function envReferences(accessFileText: string): string[] {
  return [...accessFileText.matchAll(/["'\s]env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

export interface Checked {
  problems: string[];
  /** Paths the probes GET (must answer 200), and paths scraped by a ServiceMonitor. */
  probePaths: string[];
  scrapePaths: string[];
}

export function checkManifests(bundle: Bundle, app: AppFacts): Checked {
  const problems: string[] = [];
  const probePaths: string[] = [];
  const scrapePaths: string[] = [];
  const of = (kind: string) => bundle.objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string) => of(kind).find((o) => o.metadata.name === name);
  const keysOf = (o: K8sObject | undefined) => new Set(Object.keys({ ...o?.data, ...o?.stringData }));
  const valueOf = (o: K8sObject | undefined, key: string): string | undefined =>
    o?.stringData?.[key] ??
    (o?.data?.[key] !== undefined
      ? o.kind === 'Secret'
        ? Buffer.from(o.data[key], 'base64').toString()
        : o.data[key]
      : undefined);

  const deployments = of('Deployment');
  if (deployments.length !== 1) problems.push(`expected one Deployment, found ${deployments.length}`);
  const deployment = deployments[0];
  const podLabels = deployment?.spec?.template?.metadata?.labels;
  const accessFiles = of('ConfigMap').flatMap((cm) =>
    Object.entries(cm.data ?? {})
      .filter(([k]) => /\.ya?ml$/.test(k))
      .map(([, v]) => String(v)),
  );
  const allowed = new Set([...app.configKeys, ...app.extraEnv, ...accessFiles.flatMap(envReferences)]);
  const images = new Set<string>();

  for (const workload of [...deployments, ...of('Job')]) {
    const where = `${workload.kind} ${workload.metadata.name}`;
    const pod = workload.spec?.template?.spec ?? {};
    if (
      workload.kind === 'Job' &&
      of('Service').some((s) => selects(s.spec?.selector, workload.spec?.template?.metadata?.labels))
    )
      problems.push(`${where}: its pods would receive Service traffic`);
    for (const c of pod.containers ?? []) {
      const at = `${where}, container ${c.name}`;
      images.add(c.image);
      /** Name -> value as the pod would see it (undefined when it comes from an optional or unknown source). */
      const env = new Map<string, string | undefined>();
      for (const from of c.envFrom ?? []) {
        const ref = from.configMapRef ?? from.secretRef;
        const source = named(from.configMapRef ? 'ConfigMap' : 'Secret', ref?.name);
        if (!source)
          problems.push(
            `${at}: envFrom names ${from.configMapRef ? 'ConfigMap' : 'Secret'} ${ref?.name}, which deploy/ does not define`,
          );
        for (const key of keysOf(source)) env.set(`${from.prefix ?? ''}${key}`, valueOf(source, key));
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (!ref) {
          env.set(e.name, e.value);
          continue;
        }
        const source = named(e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
        if (!keysOf(source).has(ref.key))
          problems.push(`${at}: ${e.name} reads ${ref.name}/${ref.key}, which deploy/ does not define`);
        env.set(e.name, valueOf(source, ref.key));
      }
      for (const name of env.keys())
        if (!allowed.has(name)) problems.push(`${at}: ${name} is not a setting the app reads`);
      const [bin, file, ...rest] = c.command ?? [];
      if (bin !== 'node' || !file || rest.length > 0 || !app.builds(file))
        problems.push(`${at}: command ${JSON.stringify(c.command)} does not run a file \`npm run build\` produces`);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory'])
          if (!c.resources?.[kind]?.[r]) problems.push(`${at}: resources.${kind}.${r} is not set`);
      const sc = { ...pod.securityContext, ...c.securityContext };
      if (sc.runAsNonRoot !== true || sc.runAsUser !== 1000)
        problems.push(`${at}: must run as the image's node user (runAsNonRoot, runAsUser 1000)`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is not read-only`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (!env.has('DATABASE_URL'))
        problems.push(`${at}: DATABASE_URL is not set (the embedded database is for one instance only)`);
      if (workload !== deployment) continue;

      // The bot container: its settings, port, probes and files.
      for (const key of app.requiredKeys)
        if (!env.has(key)) problems.push(`${at}: required setting ${key} is not provided`);
      const values = Object.fromEntries([...env].filter((entry): entry is [string, string] => entry[1] !== undefined));
      let port = app.defaultPort;
      try {
        port = parseConfig(values).PORT;
      } catch (error) {
        problems.push(`${at}: its environment is refused by the app: ${(error as Error).message}`);
      }
      if (JSON.stringify(c.command) !== JSON.stringify(app.imageCmd))
        problems.push(
          `${at}: command ${JSON.stringify(c.command)} is not the image's CMD ${JSON.stringify(app.imageCmd)}`,
        );
      const http = (c.ports ?? []).find((p: any) => p.name === 'http');
      if (http?.containerPort !== port)
        problems.push(
          `${at}: containerPort http (${http?.containerPort}) is not the port the app listens on (${port})`,
        );
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const get = c[probe]?.httpGet;
        if (!get?.path) problems.push(`${at}: ${probe} is not an HTTP GET`);
        else if (get.port !== 'http' && get.port !== port)
          problems.push(`${at}: ${probe} targets port ${get.port}, not ${port}`);
        else probePaths.push(get.path);
      }
      const mounts: Array<{ path: string; volume: any }> = (c.volumeMounts ?? []).map((m: any) => ({
        path: m.mountPath,
        volume: (pod.volumes ?? []).find((v: any) => v.name === m.name),
      }));
      const accessPath = env.get('ACCESS_CONFIG');
      const mount = accessPath ? mounts.find((m) => accessPath.startsWith(`${m.path}/`)) : undefined;
      const text = mount?.volume?.configMap
        ? valueOf(named('ConfigMap', mount.volume.configMap.name), accessPath!.slice(mount.path.length + 1))
        : undefined;
      if (accessPath && text === undefined)
        problems.push(`${at}: ACCESS_CONFIG ${accessPath} is no file of a mounted ConfigMap`);
      if (text !== undefined) {
        try {
          // As the bot checks it at start-up (app.ts): the file's schema, then each provisioner's settings.
          checkProvisioners(
            parseAccessFile(text),
            createProvisionerRegistry([
              createPostgresProvisioner(),
              createSshProvisioner(),
              createKubernetesProvisioner(),
              createWebhookProvisioner(),
            ]),
          );
        } catch (error) {
          problems.push(`${at}: the mounted ACCESS_CONFIG is refused: ${(error as Error).message}`);
        }
        for (const m of text.matchAll(/file:(\/\S+?)["'\s,}]/g))
          if (!mounts.some((x) => m[1]!.startsWith(`${x.path}/`)))
            problems.push(`${at}: ACCESS_CONFIG reads file:${m[1]}, which no volume mounts`);
      }
      const portNames = new Set((c.ports ?? []).map((p: any) => p.name));
      for (const svc of of('Service')) {
        if (!selects(svc.spec?.selector, podLabels))
          problems.push(`Service ${svc.metadata.name}: selector does not match the Deployment's pods`);
        for (const p of svc.spec?.ports ?? [])
          if (!(portNames.has(p.targetPort) || p.targetPort === port))
            problems.push(`Service ${svc.metadata.name}: targetPort ${p.targetPort} is no port of the bot container`);
      }
    }
    if (workload === deployment && !selects(deployment.spec?.selector?.matchLabels, podLabels))
      problems.push(`${where}: selector does not match its own pod labels`);
  }
  if (images.size !== 1)
    problems.push(`the Deployment and the Job must run the same image, found ${[...images].join(', ')}`);

  for (const pdb of of('PodDisruptionBudget')) {
    if (!selects(pdb.spec?.selector?.matchLabels, podLabels))
      problems.push(`PodDisruptionBudget ${pdb.metadata.name}: selector does not match the Deployment's pods`);
    if (!(pdb.spec?.minAvailable >= 1 && pdb.spec.minAvailable < (deployment?.spec?.replicas ?? 1)))
      problems.push(`PodDisruptionBudget ${pdb.metadata.name}: minAvailable must leave a replica to evict`);
  }
  if (of('PodDisruptionBudget').length === 0) problems.push('no PodDisruptionBudget');

  for (const sm of of('ServiceMonitor')) {
    const services = of('Service').filter((s) => selects(sm.spec?.selector?.matchLabels, s.metadata.labels));
    if (services.length === 0) problems.push(`ServiceMonitor ${sm.metadata.name}: selects no Service`);
    for (const ep of sm.spec?.endpoints ?? []) {
      if (!services.some((s) => (s.spec?.ports ?? []).some((p: any) => p.name === ep.port)))
        problems.push(`ServiceMonitor ${sm.metadata.name}: port ${ep.port} is no named port of the Service`);
      scrapePaths.push(ep.path ?? '/metrics');
      const cred = ep.authorization?.credentials ?? ep.bearerTokenSecret;
      if (cred && !keysOf(named('Secret', cred.name)).has(cred.key))
        problems.push(
          `ServiceMonitor ${sm.metadata.name}: token ${cred.name}/${cred.key} is no key of a Secret in deploy/`,
        );
    }
  }
  return { problems, probePaths: [...new Set(probePaths)], scrapePaths };
}
