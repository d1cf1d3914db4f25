// The Kubernetes deployment (infra/k8s), checked offline: every overlay renders with
// `kubectl kustomize`, every object validates against the Kubernetes or KEDA schema, and
// the manifests follow the rules of k8s-rules.ts (security, drain vs. grace period, staging,
// probes, KEDA triggers vs. BullMQ keys and concurrency, settings the app accepts). Each
// rule is also shown a deliberately broken copy, so a rule that stopped checking would fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_NAMES, WORKERS } from '@imagecycle/composition';
import {
  checkKeyrings,
  DEFAULT_CATALOGUE_PATH,
  parseCatalogue,
} from '@imagecycle/series-catalogue';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  allProblems,
  cloudSecretProblems,
  commandOf,
  containerEnv,
  containerOf,
  deploymentsOf,
  gracePeriodProblems,
  httpProblems,
  K8S_DIR,
  kustomizeVersion,
  OPERATOR_OBJECTS,
  overlayNames,
  podMonitorProblems,
  podSecurityProblems,
  renderKustomization,
  renderOverlay,
  scaledObjectProblems,
  runsClock,
  scaledObjectsOf,
  schemaProblems,
  settingsProblems,
  triggerAuthenticationProblems,
  stagingProblems,
  workerProbeProblems,
  writableMountProblems,
  type K8sObject,
} from './k8s-rules.ts';

const OVERLAYS = overlayNames();
const rendered = new Map<string, K8sObject[]>();

beforeAll(() => {
  const version = kustomizeVersion();
  // labels.includeTemplates and replacements' delimiter options need kustomize v5
  expect(version, 'kubectl with kustomize v5 (kubectl 1.27 or newer)').toMatch(/^v5\./);
  for (const overlay of OVERLAYS) rendered.set(overlay, renderOverlay(overlay));
});

function objectsOf(overlay: string): K8sObject[] {
  const objects = rendered.get(overlay);
  if (!objects) throw new Error(`overlay ${overlay} was not rendered`);
  // a deep copy: the negative tests mutate what they get
  return structuredClone(objects);
}

const deployment = (objects: K8sObject[], name: string) => {
  const found = deploymentsOf(objects).find((d) => d.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
};

it('has the overlays the README describes', () => {
  expect(OVERLAYS).toEqual(['production', 'production-cluster', 'production-sentinel', 'small']);
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('renders objects, all in the imagecycle namespace but the namespace itself', () => {
    const objects = objectsOf(overlay);
    expect(objects.length).toBeGreaterThan(5);
    for (const object of objects.filter((o) => o.kind !== 'Namespace'))
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(
        'imagecycle',
      );
  });

  it('validates every object against the Kubernetes and KEDA schemas', () => {
    expect(schemaProblems(objectsOf(overlay))).toEqual([]);
  });

  it('follows every deployment rule', () => {
    expect(allProblems(objectsOf(overlay))).toEqual([]);
  });

  it('runs nothing as root', () => {
    for (const d of deploymentsOf(objectsOf(overlay))) {
      const pod = d.spec?.template.spec;
      expect(pod?.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
      expect(pod?.securityContext?.runAsUser, d.metadata.name).toBeGreaterThan(0);
      expect(containerOf(d).securityContext?.readOnlyRootFilesystem, d.metadata.name).toBe(true);
    }
  });

  it('gives every pod the drain deadline plus a margin before SIGKILL', () => {
    const objects = objectsOf(overlay);
    for (const d of deploymentsOf(objects)) {
      const env = containerEnv(containerOf(d), objects);
      const drain = Number(env.IMAGECYCLE_DRAIN_SECONDS ?? 300);
      expect(d.spec?.template.spec?.terminationGracePeriodSeconds, d.metadata.name).toBe(
        drain + 30,
      );
    }
  });

  it('ships a catalogue the app loads as it is, checked against the keys in the image', async () => {
    const objects = objectsOf(overlay);
    const d = deploymentsOf(objects)[0] as IDeployment;
    const env = containerEnv(containerOf(d), objects);
    const catalogue = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('imagecycle-catalogue'),
    ) as (IConfigMap & K8sObject) | undefined;
    const text = catalogue?.data?.['catalogue.yaml'];
    expect(text, 'the catalogue ConfigMap').toBeDefined();
    // no fingerprint to pin and no keyring to create: KEYRING_DIR is left to its default,
    // the upstreams' keys the image carries (packages/series-catalogue/keys)
    expect(env.KEYRING_DIR).toBeUndefined();
    const parsed = parseCatalogue(text ?? '', 'catalogue.yaml', { vars: env });
    expect(parsed.series.length).toBeGreaterThan(0);
    expect(await checkKeyrings(parsed, text ?? '')).toEqual([]);
  });
});

describe.each(OVERLAYS.filter((name) => name.startsWith('production')))(
  'split overlay %s',
  (overlay) => {
    it('has one Deployment per worker, each with a ScaledObject on its queues and a budget', () => {
      const objects = objectsOf(overlay);
      for (const worker of WORKER_NAMES) {
        const d = deployment(objects, `imagecycle-${worker}`);
        expect(commandOf(d)).toEqual(['worker', worker]);
        const scaled = scaledObjectsOf(objects).filter(
          (s) => s.spec.scaleTargetRef.name === d.metadata.name,
        );
        expect(scaled, worker).toHaveLength(1);
        const listNames = scaled[0]?.spec.triggers.map((t) => t.metadata.listName) ?? [];
        for (const queue of WORKERS[worker])
          expect(listNames.filter((n) => n?.includes(`:${queue.name}:`))).toHaveLength(3);
        const budgets = objects.filter(
          (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === d.metadata.name,
        );
        expect(budgets, worker).toHaveLength(1);
      }
    });

    it('runs the control plane, probed on /healthz and /readyz, and not autoscaled', () => {
      const objects = objectsOf(overlay);
      const controlPlane = deployment(objects, 'imagecycle-control-plane');
      const container = containerOf(controlPlane);
      expect(commandOf(controlPlane)).toEqual(['control-plane']);
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(
        scaledObjectsOf(objects).some(
          (s) => s.spec.scaleTargetRef.name === 'imagecycle-control-plane',
        ),
      ).toBe(false);
    });

    it('scales every stage worker to zero between bursts, the control plane keeping the clock', () => {
      const objects = objectsOf(overlay);
      const scaled = scaledObjectsOf(objects);
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(
        WORKER_NAMES.map((worker) => `imagecycle-${worker}`).sort(),
      );
      for (const s of scaled) expect(s.spec.minReplicaCount, s.metadata.name).toBe(0);
      expect(deployment(objects, 'imagecycle-control-plane').spec?.replicas).toBeGreaterThan(0);
      expect(runsClock(objects)).toBe(true);
    });

    it('mounts the ReadWriteMany staging claim in the downloader and the uploader only', () => {
      const objects = objectsOf(overlay);
      const claim = objects.find(
        (o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'imagecycle-staging',
      ) as { spec?: { accessModes?: string[] } } | undefined;
      expect(claim?.spec?.accessModes).toEqual(['ReadWriteMany']);
      const mounting = deploymentsOf(objects)
        .filter((d) =>
          d.spec?.template.spec?.volumes?.some(
            (v) => v.persistentVolumeClaim?.claimName === 'imagecycle-staging',
          ),
        )
        .map((d) => d.metadata.name);
      expect(mounting.sort()).toEqual(['imagecycle-downloader', 'imagecycle-uploader']);
      for (const name of mounting) {
        const d = deployment(objects, name);
        const dir = containerEnv(containerOf(d), objects).IMAGECYCLE_STAGING_DIR;
        expect(containerOf(d).volumeMounts?.map((m) => m.mountPath)).toContain(dir);
      }
    });
  },
);

describe('Redis topologies', () => {
  it('production-cluster uses a hash-tagged prefix in the pods and in KEDA', () => {
    const objects = objectsOf('production-cluster');
    const env = containerEnv(containerOf(deployment(objects, 'imagecycle-downloader')), objects);
    expect(env.IMAGECYCLE_QUEUE_PREFIX).toBe('{imagecycle}');
    expect(env.REDIS_URL).toBeUndefined();
    const lists = scaledObjectsOf(objects).flatMap((s) => s.spec.triggers);
    expect(lists.every((t) => t.metadata.listName?.startsWith('{imagecycle}:'))).toBe(true);
    expect(lists.every((t) => t.type === 'redis-cluster')).toBe(true);
  });

  it('production-sentinel names the sentinels and the master to the pods and to KEDA', () => {
    const objects = objectsOf('production-sentinel');
    const env = containerEnv(containerOf(deployment(objects, 'imagecycle-reaper')), objects);
    expect(env.IMAGECYCLE_REDIS_SENTINELS).toMatch(/:26379/);
    expect(env.IMAGECYCLE_REDIS_SENTINEL_NAME).toBeTruthy();
    const types = scaledObjectsOf(objects).flatMap((s) => s.spec.triggers.map((t) => t.type));
    expect(new Set(types)).toEqual(new Set(['redis-sentinel']));
  });
});

describe('least privilege: each Deployment mounts only its own account', () => {
  // what services/composition/src/clouds.ts gives each stage, spelled out
  const secretsOf = (d: IDeployment) =>
    (d.spec?.template.spec?.volumes ?? [])
      .flatMap((v) => (v.secret?.secretName ? [v.secret.secretName] : []))
      .filter((name) => name.startsWith('imagecycle-cloud'))
      .sort();

  it('production: the downloader and the feed-watcher none, the Glance writers the publishing Secret', () => {
    const objects = objectsOf('production');
    const expected: Record<string, string[]> = {
      'imagecycle-control-plane': ['imagecycle-cloud-usage'],
      'imagecycle-feed-watcher': [],
      'imagecycle-downloader': [],
      'imagecycle-uploader': ['imagecycle-cloud-publish'],
      'imagecycle-renamer': ['imagecycle-cloud-publish'],
      'imagecycle-janitor': ['imagecycle-cloud-publish'],
      'imagecycle-usage-checker': ['imagecycle-cloud-publish', 'imagecycle-cloud-usage'],
      'imagecycle-reaper': ['imagecycle-cloud-publish', 'imagecycle-cloud-usage'],
    };
    const actual = Object.fromEntries(
      deploymentsOf(objects).map((d) => [d.metadata.name, secretsOf(d)]),
    );
    expect(actual).toEqual(expected);
    for (const name of ['imagecycle-downloader', 'imagecycle-feed-watcher']) {
      const env = containerEnv(containerOf(deployment(objects, name)), objects);
      expect(
        Object.keys(env).filter((key) => key.startsWith('OS_')),
        name,
      ).toEqual([]);
    }
  });

  it('small: the one `all` process mounts both', () => {
    const [all] = deploymentsOf(objectsOf('small'));
    expect(all && secretsOf(all)).toEqual(['imagecycle-cloud-publish', 'imagecycle-cloud-usage']);
  });
});

describe('small overlay', () => {
  it('runs one `imagecycle all` Deployment, without KEDA', () => {
    const objects = objectsOf('small');
    const deployments = deploymentsOf(objects);
    expect(deployments.map((d) => commandOf(d))).toEqual([['all']]);
    expect(scaledObjectsOf(objects)).toEqual([]);
    expect(objects.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
  });
});

describe('the base', () => {
  it('carries the packaged default catalogue unchanged', () => {
    const copy = readFileSync(join(K8S_DIR, 'base/catalogue.yaml'), 'utf8');
    expect(
      copy === readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8'),
      'infra/k8s/base/catalogue.yaml differs from packages/series-catalogue/catalogue.yaml: copy it over',
    ).toBe(true);
  });

  it('renders on its own', () => {
    expect(schemaProblems(renderKustomization(join(K8S_DIR, 'base')))).toEqual([]);
  });

  it('documents every object the operator creates', () => {
    const readme = readFileSync(join(K8S_DIR, 'README.md'), 'utf8');
    for (const name of [
      ...Object.keys(OPERATOR_OBJECTS.Secret),
      ...Object.keys(OPERATOR_OBJECTS.ConfigMap),
    ])
      expect(readme, name).toContain(name);
  });
});

// The checks must be able to fail: each is shown a deliberately broken object.
describe('the checks reject broken manifests', () => {
  it('the schemas reject a wrongly typed Deployment and a trigger without a type', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-downloader') as unknown as {
      spec: { replicas: unknown };
    };
    d.spec.replicas = 'two';
    const scaled = scaledObjectsOf(objects)[0] as unknown as {
      spec: { triggers: { type?: string }[] };
    };
    delete scaled.spec.triggers[0]?.type;
    const problems = schemaProblems(objects);
    expect(problems).toContainEqual(
      expect.stringMatching(/imagecycle-downloader.*must be integer/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/ScaledObject.*required property type/));
  });

  it('an object of an unknown kind is reported, not skipped', () => {
    const problems = schemaProblems([
      { apiVersion: 'example.org/v1', kind: 'Gadget', metadata: { name: 'x' } },
    ]);
    expect(problems).toEqual(['Gadget/x: no schema for example.org/v1 Gadget']);
  });

  it('a container running as root with capabilities is reported', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-uploader');
    const container = containerOf(d);
    container.securityContext = {
      ...container.securityContext,
      runAsUser: 0,
      readOnlyRootFilesystem: false,
      capabilities: { add: ['NET_ADMIN'] },
    };
    expect(podSecurityProblems(d)).toEqual([
      'container imagecycle: runs as root (runAsUser 0)',
      'container imagecycle: the root filesystem is not read-only',
      'container imagecycle: does not drop ALL capabilities',
      'container imagecycle: adds capabilities NET_ADMIN',
    ]);
  });

  it('a grace period that does not follow the drain deadline is reported', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-downloader');
    const settings = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('imagecycle-settings'),
    ) as IConfigMap & K8sObject;
    settings.data = { ...settings.data, IMAGECYCLE_DRAIN_SECONDS: '600' };
    expect(gracePeriodProblems(d, objects)).toEqual([
      'terminationGracePeriodSeconds is 330, not IMAGECYCLE_DRAIN_SECONDS (600) + 30',
    ]);
  });

  it('an uploader without the staging volume, or with another writable path, is reported', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-uploader');
    const container = containerOf(d);
    container.volumeMounts = container.volumeMounts?.filter((m) => m.name !== 'staging');
    expect(stagingProblems(d, objects)).toEqual(['does not mount the imagecycle-staging claim']);
    container.volumeMounts?.push({ name: 'catalogue', mountPath: '/etc/imagecycle/catalogue' });
    expect(writableMountProblems(d)).toEqual([
      '/etc/imagecycle/catalogue is writable and neither an emptyDir nor staging',
    ]);
  });

  it("a Deployment given another account's Secret, or missing its own, is reported", () => {
    const objects = objectsOf('production');
    const downloader = deployment(objects, 'imagecycle-downloader');
    downloader.spec?.template.spec?.volumes?.push({
      name: 'cloud-publish',
      secret: { secretName: 'imagecycle-cloud-publish' },
    });
    containerOf(downloader).env?.push({ name: 'OS_CLOUD', value: 'imagecycle' });
    expect(cloudSecretProblems(downloader, objects)).toEqual([
      'references Secret imagecycle-cloud-publish, but its stages use no cloud account',
      'uses no cloud account but is given OS_CLOUD',
    ]);
    const reaper = deployment(objects, 'imagecycle-reaper');
    const pod = reaper.spec?.template.spec;
    if (!pod) throw new Error('no pod');
    pod.volumes = pod.volumes?.filter((v) => v.name !== 'cloud-usage');
    const renamer = deployment(objects, 'imagecycle-renamer');
    containerOf(renamer).envFrom?.push({ secretRef: { name: 'imagecycle-cloud-usage' } });
    const uploader = deployment(objects, 'imagecycle-uploader');
    const mount = containerOf(uploader).volumeMounts?.find((m) => m.name === 'cloud-publish');
    if (mount) mount.mountPath = '/etc/openstack';
    expect([
      ...cloudSecretProblems(reaper, objects),
      ...cloudSecretProblems(renamer, objects),
      ...cloudSecretProblems(uploader, objects),
    ]).toEqual([
      'uses the usage account but does not mount Secret imagecycle-cloud-usage',
      'references Secret imagecycle-cloud-usage, but its stages use only the publish account(s)',
      'IMAGECYCLE_CLOUD_PUBLISH_FILE is /etc/openstack/publish/clouds.yaml, not /etc/openstack/clouds.yaml where Secret imagecycle-cloud-publish is mounted',
    ]);
  });

  it('a ScaledObject on the wrong queue, target or topology is reported', () => {
    const objects = objectsOf('production');
    const scaled = scaledObjectsOf(objects).find(
      (s) => s.metadata.name === 'imagecycle-downloader',
    );
    if (!scaled) throw new Error('no downloader ScaledObject');
    const [waiting] = scaled.spec.triggers;
    if (!waiting) throw new Error('no trigger');
    waiting.metadata.listName = 'imagecycle:upload:wait';
    waiting.type = 'redis-cluster';
    if (scaled.spec.advanced?.scalingModifiers) scaled.spec.advanced.scalingModifiers.target = '5';
    // to zero with the control plane gone: nothing would move due retries and schedules
    const controlPlane = deployment(objects, 'imagecycle-control-plane');
    if (controlPlane.spec) controlPlane.spec.replicas = 0;
    expect(scaledObjectProblems(scaled, objects)).toEqual([
      'trigger waiting reads imagecycle:upload:wait, not imagecycle:download:wait',
      'trigger waiting is of type redis-cluster, not redis for this Redis',
      'target 5 is not the 2 jobs a pod runs at once',
      "minReplicaCount is 0 but no control plane runs the clock (due retries, schedules and dead workers' jobs would wait for ever)",
    ]);
  });

  it('a Redis Cluster prefix without a hash tag is refused by the app settings', () => {
    const objects = objectsOf('production-cluster');
    const redis = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'imagecycle-redis',
    ) as IConfigMap & K8sObject;
    redis.data = { ...redis.data, IMAGECYCLE_QUEUE_PREFIX: 'imagecycle' };
    const problems = settingsProblems(deployment(objects, 'imagecycle-renamer'), objects);
    expect(problems).toContainEqual(expect.stringMatching(/IMAGECYCLE_QUEUE_PREFIX: .*hash tag/));
  });

  it('a control plane without its readiness probe is reported', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-control-plane');
    delete containerOf(d).readinessProbe;
    expect(httpProblems(d, objects)).toEqual([
      'readinessProbe is not an HTTP GET of /readyz on port http',
    ]);
  });

  it('a worker without its liveness probe or metrics port is reported', () => {
    const objects = objectsOf('production');
    const d = deployment(objects, 'imagecycle-renamer');
    const container = containerOf(d);
    delete container.livenessProbe;
    container.env = container.env?.filter((v) => v.name !== 'IMAGECYCLE_METRICS_PORT');
    expect(workerProbeProblems(d, objects)).toEqual([
      'IMAGECYCLE_METRICS_PORT is not set: the worker serves no /healthz',
      'livenessProbe is not an HTTP GET of /healthz on port metrics',
    ]);
  });

  it('a worker without a ScaledObject, or a queue nobody consumes, is reported', () => {
    const objects = objectsOf('production').filter(
      (o) => !(o.kind === 'ScaledObject' && o.metadata.name === 'imagecycle-reaper'),
    );
    const withoutReaper = objects.filter(
      (o) => !(o.kind === 'Deployment' && o.metadata.name === 'imagecycle-reaper'),
    );
    expect(allProblems(objects)).toContain('Deployment/imagecycle-reaper: 0 ScaledObjects, not 1');
    expect(allProblems(withoutReaper)).toContain('no Deployment consumes the reap queue');
  });

  it("the Prometheus Operator's schemas reject a wrongly typed PodMonitor and a rule without expr", () => {
    const objects = objectsOf('production');
    const monitor = objects.find((o) => o.kind === 'PodMonitor') as unknown as {
      spec: { podMetricsEndpoints: { port: unknown }[] };
    };
    (monitor.spec.podMetricsEndpoints[0] as { port: unknown }).port = 8080;
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as unknown as {
      spec: { groups: { rules: { expr?: string }[] }[] };
    };
    delete rule.spec.groups[0]?.rules[0]?.expr;
    const problems = schemaProblems(objects);
    expect(problems).toContainEqual(
      'PodMonitor/imagecycle-control-plane: /spec/podMetricsEndpoints/0/port must be string',
    );
    expect(problems).toContainEqual(
      "PrometheusRule/imagecycle: /spec/groups/0/rules/0 must have required property 'expr'",
    );
  });

  it('a Deployment no PodMonitor scrapes, or scraped on a port it lacks, is reported', () => {
    const objects = objectsOf('production');
    const workers = objects.find(
      (o) => o.kind === 'PodMonitor' && o.metadata.name === 'imagecycle-workers',
    ) as unknown as {
      spec: {
        selector: { matchExpressions: { values: string[] }[] };
        podMetricsEndpoints: { port: string }[];
      };
    };
    const values = workers.spec.selector.matchExpressions[0]?.values ?? [];
    workers.spec.selector.matchExpressions[0] = {
      ...workers.spec.selector.matchExpressions[0],
      values: values.filter((v) => v !== 'janitor'),
    };
    (workers.spec.podMetricsEndpoints[0] as { port: string }).port = 'http';
    const problems = podMonitorProblems(objects);
    expect(problems).toContain('Deployment/imagecycle-janitor: scraped by 0 PodMonitors, not 1');
    expect(problems).toContain(
      'Deployment/imagecycle-reaper: PodMonitor/imagecycle-workers scrapes port http, which the container does not name',
    );
  });

  it('KEDA on another database than the pods, without a fallback, or with a URL holding a password, is reported', () => {
    const objects = objectsOf('production');
    const redis = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'imagecycle-redis',
    ) as IConfigMap & K8sObject;
    redis.data = { ...redis.data, REDIS_URL: 'redis://:secret@redis.example:6379/2' };
    const scaled = scaledObjectsOf(objects).find((s) => s.metadata.name === 'imagecycle-reaper');
    if (!scaled) throw new Error('no reaper ScaledObject');
    delete scaled.spec.fallback;
    const problems = scaledObjectProblems(scaled, objects);
    expect(problems).toContain('trigger waiting reads database 0, not 2 of the pods');
    expect(problems).toContain('has no fallback (replicas to hold when Redis cannot be read)');
    const auth = objects.find((o) => o.kind === 'TriggerAuthentication') as never;
    expect(triggerAuthenticationProblems(auth, objects)).toContain(
      'REDIS_URL carries credentials: they would be copied into KEDA_REDIS_ADDRESS (use imagecycle-redis-auth)',
    );
  });
});
