// Offline checks of the Kubernetes manifests in infra/k8s: render an overlay with
// `kubectl kustomize`, validate every object against the Kubernetes and KEDA schemas
// (kubernetes-models, @kubernetes-models/keda: the OpenAPI schemas compiled to validators),
// and check the rules the deployment relies on, each as a function that returns the
// problems it finds (an empty list when the manifests follow it). Returning problems rather
// than asserting lets the tests feed the same rules deliberately broken objects.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLOUD_FILE_SETTING,
  CLOUD_SETTING,
  cloudRolesOf,
  consumedQueues,
  settingsSchema,
  WORKERS,
} from '@imagecycle/composition';
import type { CloudRole, WorkerName } from '@imagecycle/composition';
import { allQueues, downloadQueue, uploadQueue } from '@imagecycle/contracts';
import {
  ScaledObject,
  TriggerAuthentication,
  type IScaledObject,
  type ITriggerAuthentication,
} from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
  type IConfigMap,
  type IContainer,
  type IPersistentVolumeClaim,
  type IPodSpec,
  type IService,
} from 'kubernetes-models/v1';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const K8S_DIR = join(REPO_ROOT, 'infra/k8s');
export const OVERLAYS_DIR = join(K8S_DIR, 'overlays');

/** terminationGracePeriodSeconds = IMAGECYCLE_DRAIN_SECONDS + this (components/pod-defaults). */
export const GRACE_MARGIN_SECONDS = 30;
/** The Secret holding each cloud account's clouds.yaml (infra/k8s/README.md). */
export const CLOUD_SECRETS: Record<CloudRole, string> = {
  publish: 'imagecycle-cloud-publish',
  usage: 'imagecycle-cloud-usage',
};

/** The one claim shared by the downloader and the uploader (base/staging-pvc.yaml). */
export const STAGING_CLAIM = 'imagecycle-staging';
/** The KEDA trigger names the scalingModifiers formula adds up, with the BullMQ key of each. */
export const COUNTED_STATES = { waiting: 'wait', active: 'active', prioritized: 'prioritized' };

/**
 * What the operator creates before applying an overlay (infra/k8s/README.md), with
 * contents standing in for theirs: the rules resolve references and environments with them.
 */
export const OPERATOR_OBJECTS: Record<
  'Secret' | 'ConfigMap',
  Record<string, Record<string, string>>
> = {
  Secret: {
    'imagecycle-cloud-publish': { 'clouds.yaml': 'clouds: {}\n' },
    'imagecycle-cloud-usage': { 'clouds.yaml': 'clouds: {}\n' },
    'imagecycle-board': {
      IMAGECYCLE_BOARD_USER: 'operator',
      IMAGECYCLE_BOARD_PASSWORD: 'a-password-long-enough',
    },
    'imagecycle-redis-auth': { REDIS_PASSWORD: 'redis-password' },
  },
  ConfigMap: { 'imagecycle-keyrings': { 'ubuntu.asc': '-----BEGIN PGP PUBLIC KEY BLOCK-----' } },
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Rendering

/** The kubectl to render with: $KUBECTL, or the one on PATH. */
export function kubectlPath(): string {
  return process.env.KUBECTL ?? 'kubectl';
}

/** kubectl's embedded kustomize version, e.g. "v5.5.0"; throws when kubectl is missing. */
export function kustomizeVersion(): string {
  const result = spawnSync(kubectlPath(), ['version', '--client', '--output=json'], {
    encoding: 'utf8',
  });
  if (result.error || result.status !== 0)
    throw new Error(
      `cannot run "${kubectlPath()} version --client": ${result.error?.message ?? result.stderr}. ` +
        'The infra tests render the overlays with kubectl (1.27 or newer, kustomize v5); set KUBECTL to its path.',
    );
  const parsed = JSON.parse(result.stdout) as { kustomizeVersion?: string };
  return parsed.kustomizeVersion ?? 'unknown';
}

export function overlayNames(): string[] {
  return readdirSync(OVERLAYS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** `kubectl kustomize <dir>`, parsed: one object per YAML document. */
export function renderKustomization(dir: string): K8sObject[] {
  const result = spawnSync(kubectlPath(), ['kustomize', dir], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0)
    throw new Error(`kubectl kustomize ${dir} failed: ${result.error?.message ?? result.stderr}`);
  return parseAllDocuments(result.stdout).map((document, index) => {
    if (document.errors.length > 0)
      throw new Error(`document ${index} of ${dir}: ${document.errors[0]?.message}`);
    const object = document.toJS() as K8sObject;
    if (typeof object?.kind !== 'string' || typeof object.metadata?.name !== 'string')
      throw new Error(`document ${index} of ${dir} has no kind or name`);
    return object;
  });
}

export const renderOverlay = (name: string) => renderKustomization(join(OVERLAYS_DIR, name));

// ---------------------------------------------------------------------------------------
// Schemas

/** A kubernetes-models class: its validate() throws when the object breaks the schema. */
type Validating = new (data: never) => { validate(): void };

/** apiVersion/kind -> the model whose validate() checks the object against its schema. */
const MODELS: Record<string, Validating> = Object.fromEntries(
  [
    ConfigMap,
    Namespace,
    PersistentVolumeClaim,
    Secret,
    Service,
    ServiceAccount,
    Deployment,
    NetworkPolicy,
    PodDisruptionBudget,
    ScaledObject,
    TriggerAuthentication,
  ].map((model) => [`${model.apiVersion}/${model.kind}`, model as Validating]),
);

const describeObject = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

/**
 * The Prometheus Operator's CRDs, vendored unchanged in test/infra/crds (their source and
 * version: crds/README.md): apiVersion/kind -> a validator of each served version's
 * openAPIV3Schema. The Kubernetes extensions (x-kubernetes-*) are not JSON Schema and are
 * ignored, as are formats the API server checks itself (int32, int-or-string...).
 */
export const CRD_DIR = join(REPO_ROOT, 'test/infra/crds');

interface CustomResourceDefinition {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema: object } }[];
  };
}

// The CRDs' patterns are Go regular expressions; the only Go syntax they use that
// JavaScript lacks is the case-insensitivity flag "(?i)" (placed at the start, after a
// "^"), which applies to the whole pattern there: it becomes the "i" flag.
const goRegExp = Object.assign(
  (pattern: string, flags: string) =>
    pattern.includes('(?i)')
      ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'new RegExp' },
);

function crdValidators(): Record<string, ValidateFunction> {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    validateFormats: false,
    code: { regExp: goRegExp },
  });
  const validators: Record<string, ValidateFunction> = {};
  for (const file of readdirSync(CRD_DIR).filter((name) => name.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8')) as CustomResourceDefinition;
    for (const version of crd.spec.versions)
      if (version.served && version.schema)
        validators[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = ajv.compile(
          version.schema.openAPIV3Schema,
        );
  }
  return validators;
}

const CRD_VALIDATORS = crdValidators();

/** Every object validated against the schema of its apiVersion and kind. */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    const crd = CRD_VALIDATORS[`${object.apiVersion}/${object.kind}`];
    if (crd) {
      if (!crd(object))
        for (const error of crd.errors ?? [])
          problems.push(`${describeObject(object)}: ${error.instancePath || '/'} ${error.message}`);
      continue;
    }
    if (!Model) {
      problems.push(`${describeObject(object)}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object as never).validate();
    } catch (error) {
      problems.push(`${describeObject(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Looking things up in a rendered overlay (objects have passed the schemas by then)

export const ofKind = <T>(objects: readonly K8sObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as unknown as T[];

export const deploymentsOf = (objects: readonly K8sObject[]) =>
  ofKind<IDeployment & K8sObject>(objects, 'Deployment');
export const scaledObjectsOf = (objects: readonly K8sObject[]) =>
  ofKind<IScaledObject & K8sObject>(objects, 'ScaledObject');

function podSpecOf(deployment: IDeployment): IPodSpec {
  return deployment.spec?.template.spec ?? { containers: [] };
}

function podLabelsOf(deployment: IDeployment): Record<string, string> {
  return deployment.spec?.template.metadata?.labels ?? {};
}

/** The imagecycle container (the pod's only one). */
export function containerOf(deployment: IDeployment): IContainer {
  const container = podSpecOf(deployment).containers[0];
  if (!container) throw new Error(`Deployment/${deployment.metadata?.name} has no container`);
  return container;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects these labels (an empty selector selects everything). */
export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const value = labels[key];
    if (operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
    if (operator === 'Exists' && value === undefined) return false;
    if (operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

function dataOf(
  objects: readonly K8sObject[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Record<string, string> | undefined {
  const rendered = objects.find((o) => o.kind === kind && o.metadata.name === name) as
    IConfigMap | undefined;
  if (rendered) return rendered.data ?? {};
  return OPERATOR_OBJECTS[kind][name];
}

/**
 * The environment the container starts with: envFrom first, then env on top (Kubernetes'
 * order), ConfigMaps and Secrets looked up among the rendered objects and OPERATOR_OBJECTS.
 * A reference that resolves to nothing and is not optional is reported in `problems`.
 */
export function containerEnv(
  container: IContainer,
  objects: readonly K8sObject[],
  problems: string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    if (!ref?.name) continue;
    const data = dataOf(objects, kind, ref.name);
    if (data) Object.assign(env, data);
    else if (!ref.optional) problems.push(`envFrom: ${kind} ${ref.name} does not exist`);
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const kind = variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const value = dataOf(objects, kind, ref.name ?? '')?.[ref.key];
    if (value !== undefined) env[variable.name] = value;
    else if (!ref.optional)
      problems.push(`env ${variable.name}: ${kind} ${ref.name} has no key ${ref.key}`);
  }
  return env;
}

/** What the container runs: its arguments to the imagecycle entry point. */
export function commandOf(deployment: IDeployment): string[] {
  const container = containerOf(deployment);
  return [...(container.command ?? []), ...(container.args ?? [])];
}

/** The worker names a Deployment runs ('all' for the all-in-one process). */
function workersOf(deployment: IDeployment): (WorkerName | 'all')[] {
  const [command, ...rest] = commandOf(deployment);
  if (command === 'all') return ['all'];
  if (command === 'worker') return rest as WorkerName[];
  return [];
}

/**
 * The cloud accounts the process uses (services/composition/src/clouds.ts): those of the
 * queues it consumes; the control plane's read models and readiness use the usage account.
 */
export function cloudRolesOfDeployment(deployment: IDeployment): CloudRole[] {
  const roles = new Set(cloudRolesOf(consumedQueues(workersOf(deployment))));
  if (servesHttp(deployment)) roles.add('usage');
  return [...roles].sort();
}

/**
 * Whether the overlay always runs a clock (the control plane or `all`: QueueRuntime.startClock):
 * a Deployment of at least one replica that no ScaledObject scales.
 */
export function runsClock(objects: readonly K8sObject[]): boolean {
  const scaled = new Set(scaledObjectsOf(objects).map((s) => s.spec.scaleTargetRef.name));
  return deploymentsOf(objects).some(
    (d) => servesHttp(d) && (d.spec?.replicas ?? 1) >= 1 && !scaled.has(d.metadata.name),
  );
}

/** Whether the process serves the control plane (HTTP). */
export function servesHttp(deployment: IDeployment): boolean {
  const [command] = commandOf(deployment);
  return command === 'control-plane' || command === 'all';
}

// ---------------------------------------------------------------------------------------
// Rules for each Deployment

/** A known command, and worker names that run-modes.ts knows. */
export function commandProblems(deployment: IDeployment): string[] {
  const [command, ...rest] = commandOf(deployment);
  if (command === 'all' || command === 'control-plane')
    return rest.length === 0 ? [] : [`"${command}" takes no arguments, got ${rest.join(' ')}`];
  if (command !== 'worker') return [`runs "${command}", not worker, all or control-plane`];
  if (rest.length === 0) return ['"worker" names no worker'];
  return rest
    .filter((name) => !Object.hasOwn(WORKERS, name))
    .map((name) => `unknown worker "${name}"`);
}

export function selectorProblems(deployment: IDeployment): string[] {
  return selects(deployment.spec?.selector, podLabelsOf(deployment))
    ? []
    : ['the selector does not select the pod template labels'];
}

/** Non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, no token. */
export function podSecurityProblems(deployment: IDeployment): string[] {
  const problems: string[] = [];
  const pod = podSpecOf(deployment);
  const podContext = pod.securityContext ?? {};
  if (pod.automountServiceAccountToken !== false)
    problems.push('automountServiceAccountToken is not false');
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('uses a host namespace');
  const containers = [...pod.containers, ...(pod.initContainers ?? [])];
  for (const container of containers) {
    const context = container.securityContext ?? {};
    const at = `container ${container.name}`;
    const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    const runAsUser = context.runAsUser ?? podContext.runAsUser;
    if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
    if (runAsUser === 0) problems.push(`${at}: runs as root (runAsUser 0)`);
    if (context.privileged) problems.push(`${at}: privileged`);
    if (context.allowPrivilegeEscalation !== false)
      problems.push(`${at}: allowPrivilegeEscalation is not false`);
    if (context.readOnlyRootFilesystem !== true)
      problems.push(`${at}: the root filesystem is not read-only`);
    if (!context.capabilities?.drop?.includes('ALL'))
      problems.push(`${at}: does not drop ALL capabilities`);
    if ((context.capabilities?.add ?? []).length > 0)
      problems.push(`${at}: adds capabilities ${context.capabilities?.add?.join(', ')}`);
    const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault') problems.push(`${at}: seccomp profile is not RuntimeDefault`);
  }
  return problems;
}

/** The only writable mounts are an emptyDir (/tmp) and the staging claim. */
export function writableMountProblems(deployment: IDeployment): string[] {
  const pod = podSpecOf(deployment);
  return (
    containerOf(deployment)
      .volumeMounts?.filter((mount) => !mount.readOnly)
      .filter((mount) => {
        const volume = pod.volumes?.find((v) => v.name === mount.name);
        return !volume?.emptyDir && volume?.persistentVolumeClaim?.claimName !== STAGING_CLAIM;
      })
      .map((mount) => `${mount.mountPath} is writable and neither an emptyDir nor staging`) ?? []
  );
}

/** CPU and memory requests and a memory limit; an image with a tag other than latest. */
export function resourceProblems(deployment: IDeployment): string[] {
  const container = containerOf(deployment);
  const problems: string[] = [];
  const { requests = {}, limits = {} } = container.resources ?? {};
  if (requests.cpu === undefined) problems.push('no CPU request');
  if (requests.memory === undefined) problems.push('no memory request');
  if (limits.memory === undefined) problems.push('no memory limit');
  const image = container.image ?? '';
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  if (!tag && !image.includes('@sha256:')) problems.push(`image "${image}" has no tag`);
  if (tag === 'latest') problems.push(`image "${image}" is :latest`);
  return problems;
}

/** The environment passes the app's own settings validation (services/composition/src/settings.ts). */
export function settingsProblems(deployment: IDeployment, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const env = containerEnv(containerOf(deployment), objects, problems);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push(`settings: ${issue.path.join('.')}: ${issue.message}`);
  return problems;
}

/**
 * Least privilege: the pod references the Secret of each cloud account its process uses and
 * no other - not another account's, not one holding clouds.yaml or OS_* variables for all of
 * them - mounted read-only at the directory of that account's IMAGECYCLE_CLOUD_<ROLE>_FILE,
 * whose entry IMAGECYCLE_CLOUD_<ROLE> names. A process without an account (the downloader)
 * gets no cloud Secret and no OS_* variable at all.
 */
export function cloudSecretProblems(
  deployment: IDeployment,
  objects: readonly K8sObject[],
): string[] {
  const problems: string[] = [];
  const roles = cloudRolesOfDeployment(deployment);
  const pod = podSpecOf(deployment);
  const container = containerOf(deployment);
  const allowed = new Set(roles.map((role) => CLOUD_SECRETS[role]));
  const others = new Set(['imagecycle-board', 'imagecycle-redis-auth']);
  const referenced = [
    ...(pod.volumes ?? []).flatMap((v) => (v.secret?.secretName ? [v.secret.secretName] : [])),
    ...(pod.volumes ?? []).flatMap(
      (v) => v.projected?.sources?.flatMap((p) => (p.secret?.name ? [p.secret.name] : [])) ?? [],
    ),
    ...(container.envFrom ?? []).flatMap((e) => (e.secretRef?.name ? [e.secretRef.name] : [])),
    ...(container.env ?? []).flatMap((e) =>
      e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : [],
    ),
  ];
  for (const name of new Set(referenced))
    if (!allowed.has(name) && !others.has(name))
      problems.push(
        `references Secret ${name}, but its stages use ${roles.length ? `only the ${roles.join(' and ')} account(s)` : 'no cloud account'}`,
      );
  const env = containerEnv(container, objects);
  for (const role of roles) {
    const secret = CLOUD_SECRETS[role];
    const volume = pod.volumes?.find((v) => v.secret?.secretName === secret);
    const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
    const file = env[CLOUD_FILE_SETTING[role]];
    if (!volume || !mount) {
      problems.push(`uses the ${role} account but does not mount Secret ${secret}`);
      continue;
    }
    if (!mount.readOnly) problems.push(`mounts Secret ${secret} writable`);
    if (file === undefined || file !== `${mount.mountPath}/clouds.yaml`)
      problems.push(
        `${CLOUD_FILE_SETTING[role]} is ${file ?? 'unset'}, not ${mount.mountPath}/clouds.yaml where Secret ${secret} is mounted`,
      );
    if (!env[CLOUD_SETTING[role]])
      problems.push(`${CLOUD_SETTING[role]} does not name the ${role} account's entry`);
  }
  if (roles.length === 0) {
    const osVariables = Object.keys(env).filter((name) => name.startsWith('OS_'));
    if (osVariables.length)
      problems.push(`uses no cloud account but is given ${osVariables.join(', ')}`);
  }
  return problems;
}

/** terminationGracePeriodSeconds is IMAGECYCLE_DRAIN_SECONDS plus the margin. */
export function gracePeriodProblems(
  deployment: IDeployment,
  objects: readonly K8sObject[],
): string[] {
  const env = containerEnv(containerOf(deployment), objects);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return []; // settingsProblems reports it
  const drain = parsed.data.IMAGECYCLE_DRAIN_SECONDS;
  const grace = podSpecOf(deployment).terminationGracePeriodSeconds;
  return grace === drain + GRACE_MARGIN_SECONDS
    ? []
    : [
        `terminationGracePeriodSeconds is ${grace}, not IMAGECYCLE_DRAIN_SECONDS (${drain}) + ${GRACE_MARGIN_SECONDS}`,
      ];
}

/** Processes that download or upload mount the ReadWriteMany staging claim at the staging dir. */
export function stagingProblems(deployment: IDeployment, objects: readonly K8sObject[]): string[] {
  const queues = consumedQueues(workersOf(deployment));
  if (!queues.includes(downloadQueue) && !queues.includes(uploadQueue)) return [];
  const env = containerEnv(containerOf(deployment), objects);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return [];
  const dir = parsed.data.IMAGECYCLE_STAGING_DIR;
  const volume = podSpecOf(deployment).volumes?.find(
    (v) => v.persistentVolumeClaim?.claimName === STAGING_CLAIM,
  );
  const mount = containerOf(deployment).volumeMounts?.find((m) => m.name === volume?.name);
  const problems: string[] = [];
  if (!volume || !mount) problems.push(`does not mount the ${STAGING_CLAIM} claim`);
  else if (mount.mountPath !== dir)
    problems.push(`mounts staging at ${mount.mountPath}, not IMAGECYCLE_STAGING_DIR ${dir}`);
  else if (mount.readOnly) problems.push('mounts staging read-only');
  const claim = ofKind<IPersistentVolumeClaim & K8sObject>(objects, 'PersistentVolumeClaim').find(
    (c) => c.metadata.name === STAGING_CLAIM,
  );
  if (!claim) problems.push(`the ${STAGING_CLAIM} claim is not in the overlay`);
  else if (!claim.spec?.accessModes?.includes('ReadWriteMany'))
    problems.push(`the ${STAGING_CLAIM} claim is not ReadWriteMany`);
  return problems;
}

/** The control plane: its port is IMAGECYCLE_HTTP_PORT, probed on /healthz and /readyz. */
export function httpProblems(deployment: IDeployment, objects: readonly K8sObject[]): string[] {
  if (!servesHttp(deployment)) return [];
  const container = containerOf(deployment);
  const env = containerEnv(container, objects);
  const parsed = settingsSchema.safeParse(env);
  const problems: string[] = [];
  const port = container.ports?.find((p) => p.name === 'http');
  if (!port) problems.push('no container port named http');
  else if (parsed.success && port.containerPort !== parsed.data.IMAGECYCLE_HTTP_PORT)
    problems.push(
      `port http is ${port.containerPort}, not IMAGECYCLE_HTTP_PORT ${parsed.data.IMAGECYCLE_HTTP_PORT}`,
    );
  const probes = {
    startupProbe: '/healthz',
    livenessProbe: '/healthz',
    readinessProbe: '/readyz',
  } as const;
  for (const [probe, path] of Object.entries(probes)) {
    const httpGet = container[probe as keyof typeof probes]?.httpGet;
    if (httpGet?.path !== path || (httpGet.port !== 'http' && httpGet.port !== port?.containerPort))
      problems.push(`${probe} is not an HTTP GET of ${path} on port http`);
  }
  const labels = podLabelsOf(deployment);
  const services = ofKind<IService & K8sObject>(objects, 'Service').filter((s) =>
    selects({ matchLabels: s.spec?.selector ?? {} }, labels),
  );
  if (!services.some((s) => s.spec?.ports?.some((p) => p.targetPort === 'http')))
    problems.push('no Service targets its http port');
  if (!ingressOpen(objects, labels, 'http'))
    problems.push('no NetworkPolicy lets connections reach its http port');
  return problems;
}

/** Whether some NetworkPolicy selecting these pod labels admits connections to the named port. */
function ingressOpen(
  objects: readonly K8sObject[],
  labels: Record<string, string>,
  port: string,
): boolean {
  return ofKind<INetworkPolicy & K8sObject>(objects, 'NetworkPolicy').some(
    (policy) =>
      selects(policy.spec?.podSelector, labels) &&
      policy.spec?.ingress?.some((rule) => rule.ports?.some((p) => p.port === port)),
  );
}

/**
 * A worker serves /healthz and its own /metrics on IMAGECYCLE_METRICS_PORT: its container
 * port "metrics" is that port, probed for liveness (and start-up) on /healthz, and a
 * NetworkPolicy lets Prometheus reach it.
 */
export function workerProbeProblems(
  deployment: IDeployment,
  objects: readonly K8sObject[],
): string[] {
  if (commandOf(deployment)[0] !== 'worker') return [];
  const container = containerOf(deployment);
  const parsed = settingsSchema.safeParse(containerEnv(container, objects));
  if (!parsed.success) return []; // settingsProblems reports it
  const problems: string[] = [];
  const configured = parsed.data.IMAGECYCLE_METRICS_PORT;
  const port = container.ports?.find((p) => p.name === 'metrics');
  if (configured === undefined)
    problems.push('IMAGECYCLE_METRICS_PORT is not set: the worker serves no /healthz');
  else if (port?.containerPort !== configured)
    problems.push(
      `port metrics is ${port?.containerPort}, not IMAGECYCLE_METRICS_PORT ${configured}`,
    );
  for (const probe of ['startupProbe', 'livenessProbe'] as const) {
    const httpGet = container[probe]?.httpGet;
    if (httpGet?.path !== '/healthz' || httpGet.port !== 'metrics')
      problems.push(`${probe} is not an HTTP GET of /healthz on port metrics`);
  }
  if (!ingressOpen(objects, podLabelsOf(deployment), 'metrics'))
    problems.push('no NetworkPolicy lets Prometheus reach its metrics port');
  return problems;
}

/** Exactly one PodDisruptionBudget, which selects this Deployment's pods and no other's. */
export function disruptionBudgetProblems(
  deployment: IDeployment,
  objects: readonly K8sObject[],
): string[] {
  const budgets = ofKind<IPodDisruptionBudget & K8sObject>(objects, 'PodDisruptionBudget');
  const mine = budgets.filter((b) => selects(b.spec?.selector, podLabelsOf(deployment)));
  if (mine.length !== 1) return [`${mine.length} PodDisruptionBudgets select its pods, not 1`];
  const [budget] = mine as [IPodDisruptionBudget & K8sObject];
  const others = deploymentsOf(objects).filter(
    (d) => d !== deployment && selects(budget.spec?.selector, podLabelsOf(d)),
  );
  return others.map((d) => `its budget ${budget.metadata.name} also selects ${d.metadata.name}`);
}

/** Its pods are selected by a NetworkPolicy that restricts both directions. */
export function networkPolicyProblems(
  deployment: IDeployment,
  objects: readonly K8sObject[],
): string[] {
  const labels = podLabelsOf(deployment);
  const covered = ofKind<INetworkPolicy & K8sObject>(objects, 'NetworkPolicy').some(
    (policy) =>
      selects(policy.spec?.podSelector, labels) &&
      policy.spec?.policyTypes?.includes('Ingress') &&
      policy.spec.policyTypes.includes('Egress'),
  );
  return covered ? [] : ['no NetworkPolicy restricts its ingress and egress'];
}

// ---------------------------------------------------------------------------------------
// Rules for KEDA

/** The KEDA scaler for the Redis topology the settings name. */
function scalerTypeFor(env: Record<string, string>): string {
  if (env.IMAGECYCLE_REDIS_CLUSTER_NODES) return 'redis-cluster';
  if (env.IMAGECYCLE_REDIS_SENTINELS) return 'redis-sentinel';
  return 'redis';
}

/** Jobs at once per pod for a queue: IMAGECYCLE_CONCURRENCY, else the app's default. */
function concurrencyOf(env: Record<string, string>, queue: string): number {
  const parsed = settingsSchema.safeParse(env);
  const configured = parsed.success ? parsed.data.IMAGECYCLE_CONCURRENCY[queue] : undefined;
  return configured ?? allQueues.find((q) => q.name === queue)?.concurrency ?? 1;
}

/**
 * A ScaledObject counts the waiting, active and prioritized jobs of every queue its
 * Deployment consumes, under the Deployment's queue prefix, with the scaler of its Redis
 * topology; the formula adds them all; the target is the jobs a pod runs at once; it never
 * scales to zero; its TriggerAuthentication exists.
 */
export function scaledObjectProblems(
  scaled: IScaledObject & K8sObject,
  objects: readonly K8sObject[],
): string[] {
  const target = deploymentsOf(objects).find(
    (d) => d.metadata.name === scaled.spec.scaleTargetRef.name,
  );
  if (!target) return [`scales ${scaled.spec.scaleTargetRef.name}, which does not exist`];
  const env = containerEnv(containerOf(target), objects);
  const prefix = env.IMAGECYCLE_QUEUE_PREFIX ?? 'imagecycle';
  const problems: string[] = [];
  if (prefix.includes(':'))
    problems.push(`queue prefix "${prefix}" contains ":" (the listName replacement splits on it)`);
  const queues = consumedQueues(workersOf(target));
  if (queues.length === 0) problems.push(`${target.metadata.name} consumes no queue`);

  const expected = new Map<string, string>();
  for (const queue of queues)
    for (const [name, key] of Object.entries(COUNTED_STATES))
      expected.set(
        // one queue: waiting, active, prioritized; several: waiting_feed_check, ...
        queues.length === 1 ? name : `${name}_${queue.name.replaceAll('-', '_')}`,
        `${prefix}:${queue.name}:${key}`,
      );
  const type = scalerTypeFor(env);
  const triggers = scaled.spec.triggers;
  // the database the pods use: REDIS_URL's path (/N), 0 with Sentinel and Cluster
  const database = env.REDIS_URL ? new URL(env.REDIS_URL).pathname.slice(1) || '0' : '0';
  for (const [name, listName] of expected) {
    const trigger = triggers.find((t) => t.name === name);
    if (!trigger) problems.push(`no trigger "${name}" on ${listName}`);
    else if (trigger.metadata.listName !== listName)
      problems.push(`trigger ${name} reads ${trigger.metadata.listName}, not ${listName}`);
  }
  for (const trigger of triggers) {
    if (!trigger.name || !expected.has(trigger.name))
      problems.push(`unexpected trigger ${trigger.name ?? trigger.type}`);
    if (trigger.type !== type)
      problems.push(
        `trigger ${trigger.name} is of type ${trigger.type}, not ${type} for this Redis`,
      );
    if (trigger.metadata.databaseIndex !== database)
      problems.push(
        `trigger ${trigger.name} reads database ${trigger.metadata.databaseIndex}, not ${database} of the pods`,
      );
    const auth = trigger.authenticationRef?.name;
    if (!auth) problems.push(`trigger ${trigger.name} has no authenticationRef`);
    else if (!objects.some((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === auth))
      problems.push(`trigger ${trigger.name}: TriggerAuthentication ${auth} does not exist`);
  }

  const modifiers = scaled.spec.advanced?.scalingModifiers;
  const terms = (modifiers?.formula ?? '').split('+').map((term) => term.trim());
  if ([...expected.keys()].sort().join() !== [...terms].sort().join())
    problems.push(
      `formula "${modifiers?.formula}" is not the sum of ${[...expected.keys()].join(' + ')}`,
    );
  const perPod = queues.reduce((sum, queue) => sum + concurrencyOf(env, queue.name), 0);
  if (Number(modifiers?.target) !== perPod)
    problems.push(`target ${modifiers?.target} is not the ${perPod} jobs a pod runs at once`);
  if ((modifiers?.metricType ?? 'AverageValue') !== 'AverageValue')
    problems.push('the composed metric is not an AverageValue');
  // To zero only while a clock runs: the control plane (or `all`) moves due retries and
  // schedules to wait and recovers dead workers' jobs; nothing else does with no worker up.
  if ((scaled.spec.minReplicaCount ?? 0) < 1 && !runsClock(objects))
    problems.push(
      "minReplicaCount is 0 but no control plane runs the clock (due retries, schedules and dead workers' jobs would wait for ever)",
    );
  if ((scaled.spec.maxReplicaCount ?? 100) < (scaled.spec.minReplicaCount ?? 0))
    problems.push('maxReplicaCount is below minReplicaCount');
  const fallback = scaled.spec.fallback;
  if (!fallback) problems.push('has no fallback (replicas to hold when Redis cannot be read)');
  else if (
    fallback.replicas < (scaled.spec.minReplicaCount ?? 0) ||
    fallback.replicas > (scaled.spec.maxReplicaCount ?? 100)
  )
    problems.push(`fallback replicas ${fallback.replicas} are outside min..max`);
  return problems;
}

/**
 * KEDA reads the pods' own Redis settings: every ConfigMap key a TriggerAuthentication
 * names exists, and a standalone address is REDIS_URL's host and port.
 */
export function triggerAuthenticationProblems(
  auth: ITriggerAuthentication & K8sObject,
  objects: readonly K8sObject[],
): string[] {
  const problems: string[] = [];
  const parameters: Record<string, string> = {};
  for (const ref of auth.spec.configMapTargetRef ?? []) {
    const value = dataOf(objects, 'ConfigMap', ref.name)?.[ref.key];
    if (value === undefined)
      problems.push(`${ref.parameter}: ConfigMap ${ref.name} has no ${ref.key}`);
    else parameters[ref.parameter] = value;
  }
  for (const ref of auth.spec.secretTargetRef ?? [])
    if (!dataOf(objects, 'Secret', ref.name))
      problems.push(
        `${ref.parameter}: Secret ${ref.name} is neither rendered nor created by the operator`,
      );
  const redis = dataOf(objects, 'ConfigMap', 'imagecycle-redis') ?? {};
  if (redis.REDIS_URL) {
    const url = new URL(redis.REDIS_URL);
    if (url.username || url.password)
      problems.push(
        'REDIS_URL carries credentials: they would be copied into KEDA_REDIS_ADDRESS (use imagecycle-redis-auth)',
      );
    const hostPort = `${url.hostname}:${url.port || '6379'}`;
    if (parameters.address !== hostPort)
      problems.push(`address is ${parameters.address}, not ${hostPort} of REDIS_URL`);
  }
  if (redis.IMAGECYCLE_REDIS_SENTINELS) {
    if (parameters.addresses !== redis.IMAGECYCLE_REDIS_SENTINELS)
      problems.push('addresses is not IMAGECYCLE_REDIS_SENTINELS');
    if (parameters.sentinelMaster !== redis.IMAGECYCLE_REDIS_SENTINEL_NAME)
      problems.push('sentinelMaster is not IMAGECYCLE_REDIS_SENTINEL_NAME');
  }
  if (
    redis.IMAGECYCLE_REDIS_CLUSTER_NODES &&
    parameters.addresses !== redis.IMAGECYCLE_REDIS_CLUSTER_NODES
  )
    problems.push('addresses is not IMAGECYCLE_REDIS_CLUSTER_NODES');
  return problems;
}

// ---------------------------------------------------------------------------------------
// Rules for the overlay as a whole

/** Every ConfigMap and Secret a pod references is rendered or created by the operator. */
export function referenceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const deployment of deploymentsOf(objects)) {
    const at = `Deployment/${deployment.metadata.name}`;
    for (const volume of podSpecOf(deployment).volumes ?? []) {
      if (volume.configMap && !dataOf(objects, 'ConfigMap', volume.configMap.name ?? ''))
        problems.push(
          `${at}: volume ${volume.name}: ConfigMap ${volume.configMap.name} does not exist`,
        );
      if (volume.secret && !dataOf(objects, 'Secret', volume.secret.secretName ?? ''))
        problems.push(
          `${at}: volume ${volume.name}: Secret ${volume.secret.secretName} does not exist`,
        );
      const claim = volume.persistentVolumeClaim?.claimName;
      if (
        claim &&
        !objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim)
      )
        problems.push(`${at}: volume ${volume.name}: claim ${claim} does not exist`);
    }
    const envProblems: string[] = [];
    containerEnv(containerOf(deployment), objects, envProblems);
    problems.push(...envProblems.map((p) => `${at}: ${p}`));
  }
  return problems;
}

/**
 * Every queue has a consumer, and some process keeps the schedules: by the CLI
 * (services/cli/src/commands/worker.ts) that is one running the feed-watcher, the
 * usage-checker or `all` - never the control plane alone.
 */
export function coverageProblems(objects: readonly K8sObject[]): string[] {
  const deployments = deploymentsOf(objects);
  const consumed = new Set(deployments.flatMap((d) => consumedQueues(workersOf(d))));
  const problems = allQueues
    .filter((queue) => !consumed.has(queue))
    .map((queue) => `no Deployment consumes the ${queue.name} queue`);
  const keepsSchedules = deployments.some((d) =>
    workersOf(d).some(
      (name) => name === 'all' || name === 'feed-watcher' || name === 'usage-checker',
    ),
  );
  if (!keepsSchedules) problems.push('no Deployment keeps the daily schedules');
  return problems;
}

/**
 * With KEDA in the overlay, every worker Deployment has exactly one ScaledObject, and the
 * control plane (or an all-in-one process, which serves HTTP) none.
 */
export function autoscalingProblems(objects: readonly K8sObject[]): string[] {
  const scaled = scaledObjectsOf(objects);
  if (scaled.length === 0) return [];
  const problems: string[] = [];
  for (const deployment of deploymentsOf(objects)) {
    const count = scaled.filter(
      (s) => s.spec.scaleTargetRef.name === deployment.metadata.name,
    ).length;
    const isWorker = commandOf(deployment)[0] === 'worker';
    if (isWorker && count !== 1)
      problems.push(`Deployment/${deployment.metadata.name}: ${count} ScaledObjects, not 1`);
    if (!isWorker && count > 0)
      problems.push(`Deployment/${deployment.metadata.name} is autoscaled but is not a worker`);
  }
  return problems;
}

/** Every rule, over a whole rendered overlay, each problem prefixed with its object. */
interface PodMonitor extends K8sObject {
  spec: { selector: Selector; podMetricsEndpoints?: { port?: string; path?: string }[] };
}

/**
 * Where PodMonitors are rendered (components/monitoring): every Deployment's pods are
 * scraped by exactly one of them, on a named port of its container, at /metrics.
 */
export function podMonitorProblems(objects: readonly K8sObject[]): string[] {
  const monitors = ofKind<PodMonitor>(objects, 'PodMonitor');
  if (monitors.length === 0) return [];
  const problems: string[] = [];
  for (const deployment of deploymentsOf(objects)) {
    const name = `Deployment/${deployment.metadata.name}`;
    const scraping = monitors.filter((m) => selects(m.spec.selector, podLabelsOf(deployment)));
    if (scraping.length !== 1) {
      problems.push(`${name}: scraped by ${scraping.length} PodMonitors, not 1`);
      continue;
    }
    const ports = (containerOf(deployment).ports ?? []).map((p) => p.name);
    for (const endpoint of scraping[0]?.spec.podMetricsEndpoints ?? []) {
      if (!endpoint.port || !ports.includes(endpoint.port))
        problems.push(
          `${name}: PodMonitor/${scraping[0]?.metadata.name} scrapes port ${endpoint.port}, which the container does not name`,
        );
      if (endpoint.path !== '/metrics')
        problems.push(`${name}: scraped at ${endpoint.path}, not /metrics`);
    }
  }
  return problems;
}

export function allProblems(objects: readonly K8sObject[]): string[] {
  const problems = [
    ...podMonitorProblems(objects),
    ...referenceProblems(objects),
    ...coverageProblems(objects),
    ...autoscalingProblems(objects),
  ];
  const perDeployment = [
    commandProblems,
    selectorProblems,
    podSecurityProblems,
    writableMountProblems,
    resourceProblems,
    (d: IDeployment) => settingsProblems(d, objects),
    (d: IDeployment) => cloudSecretProblems(d, objects),
    (d: IDeployment) => gracePeriodProblems(d, objects),
    (d: IDeployment) => stagingProblems(d, objects),
    (d: IDeployment) => httpProblems(d, objects),
    (d: IDeployment) => workerProbeProblems(d, objects),
    (d: IDeployment) => disruptionBudgetProblems(d, objects),
    (d: IDeployment) => networkPolicyProblems(d, objects),
  ];
  for (const deployment of deploymentsOf(objects))
    for (const rule of perDeployment)
      problems.push(...rule(deployment).map((p) => `Deployment/${deployment.metadata.name}: ${p}`));
  for (const scaled of scaledObjectsOf(objects))
    problems.push(
      ...scaledObjectProblems(scaled, objects).map(
        (p) => `ScaledObject/${scaled.metadata.name}: ${p}`,
      ),
    );
  for (const auth of ofKind<ITriggerAuthentication & K8sObject>(objects, 'TriggerAuthentication'))
    problems.push(
      ...triggerAuthenticationProblems(auth, objects).map(
        (p) => `TriggerAuthentication/${auth.metadata.name}: ${p}`,
      ),
    );
  return problems;
}
