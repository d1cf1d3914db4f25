// The chaos soak: the real imagecycle processes (one per replica of every stage) against the
// real stack and the local upstream mirror, over simulated days. Each step publishes what
// the plan says upstream, triggers what the schedules would, lets tenants, an operator and
// the fault injectors loose at the planned moments, brings every worker back, waits until
// the pipeline is at rest and checks every invariant from Glance, Nova and Cinder. Then the
// faults stop and the system gets a few simulated days to converge.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { WORKERS, waitUntilIdle, type WorkerName } from '@imagecycle/composition';
import {
  allQueues,
  feedCheckQueue,
  janitorQueue,
  PROPERTY,
  reconcileQueue,
  uploadJobId,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import {
  type GlanceImage,
  OpenStackClient,
  OpenStackHttpError,
  type Server,
  type Volume,
} from '@imagecycle/openstack';
import { DEFAULT_CATALOGUE_PATH } from '@imagecycle/series-catalogue';
import { type Distro, type FaultHandle, type Mirror, startMirror } from '../mirror/index.ts';
import { cloudNames, connect } from '../support/clouds.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import { MIRROR_HTTP_OPT_IN } from '../support/mirror-catalogue.ts';
import {
  createServerFromVolume,
  createVolume,
  deleteVolume,
  getVolume,
  listSoftDeletedServers,
  resetVolumeToDetached,
  serverAction,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '../support/openstack-test-calls.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';
import { imagecycleEnv } from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { Cluster, type UnexpectedExit } from './cluster.ts';
import {
  checkInvariants,
  convergenceProblems,
  fingerprint,
  type Invariant,
  isSoakImage,
  type Knowledge,
  latestNameOf,
  type Observation,
  releaseKey,
  type ReleaseFacts,
  type SeriesFacts,
  targetsDisagree,
  type TargetView,
} from './invariants.ts';
import {
  type Action,
  API_OUTAGES,
  type ApiOutageKind,
  armsBeforeTriggers,
  DEFAULT_SERIES,
  describeAction,
  FAILPOINT_STAGE,
  isFault,
  isTenantAction,
  planSoak,
  SERIES_TRAITS,
  SERVER_ACTIONS,
  type SoakPlan,
  TARGET_NAMES,
  TARGET_OUTAGE_ALLOWANCE_MS,
  type TenantName,
  type UpstreamEvent,
} from './plan.ts';

const DAY_MS = 86_400_000;
/** The date the usage check writes on a community image no one uses. */
const UNUSED_SINCE = PROPERTY.unusedSince;
/** The mirror's calendar: simulated day 1 is this date upstream. */
const FIRST_DAY = '2026-11-01';
/** Crons that do not fire during a run: the soak triggers what the schedules would, when it decides. */
const NEVER_CRON = '0 4 1 1 *';
const IDLE_TIMEOUT_MS = 240_000;

export interface SoakOptions {
  seed: number;
  days: number;
  series?: readonly string[];
  /** Simulated days without faults the system gets to converge (default 3). */
  convergenceDays?: number;
  /** Leave the run's images in Glance (default: removed at the end). */
  keep?: boolean;
  /**
   * 1 (default): one target, the service's cloud in region one, as ever. 2: the catalogue
   * names two targets - region one as with one, and region two's own Glance behind a fault
   * proxy of its own (the stack's `-r2` entries, IMAGECYCLE_STACK_REGIONS=2) - and the plan
   * takes region two down now and then (target-outage); the invariants hold in each Glance.
   */
  targets?: number;
  log?: (line: string) => void;
}

export type ViolationKind = Invariant | 'stuck' | 'convergence';

export interface SoakViolation {
  kind: ViolationKind;
  subject: string;
  detail: string;
  /** Where it was first seen: a chaos step, or a convergence day. */
  firstSeen: string;
  lastSeen: string;
  occurrences: number;
  /** How it looked later, when that differed (the first few). */
  later: { at: string; detail: string }[];
}

export interface SoakReport {
  seed: number;
  days: number;
  series: string[];
  /** How many targets the run published to (1: the default one). */
  targets: number;
  /**
   * Two targets: the lifecycle events of the run by `<type> <target>` (uploaded, gave-up,
   * targets-disagree...), as the workers recorded them; empty with one target.
   */
  targetEvents: Record<string, number>;
  /** Two targets: failed jobs of region two excused as its outages' casualties (regionTwoOutageCasualty). */
  regionTwoOutageFailures: number;
  steps: number;
  faults: Record<string, number>;
  /** Rolling restarts that move the simulated day (not faults: the soak's clock). */
  clockRestarts: number;
  skipped: Record<string, number>;
  upstream: Record<string, number>;
  tenants: Record<string, number>;
  operator: Record<string, number>;
  processes: {
    started: number;
    killed: number;
    failpointsFired: number;
    /** Job attempts that failed at a failpoint armed `=error`. */
    failpointErrors: number;
    drained: number;
  };
  /** What imagecycle did, as Glance shows it between checks: managed images that appeared, and went. */
  glance: { appeared: number; went: number };
  checkRounds: number;
  checks: number;
  violations: SoakViolation[];
  unexpectedExits: UnexpectedExit[];
  converged: boolean;
  /** Simulated days the convergence took (undefined: it did not converge). */
  convergenceDays: number | undefined;
  convergenceSeconds: number;
  seconds: number;
  history: string[];
}

const count = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by;
};

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** How long a soak smoke test waits for the boot line (the fake guests print it within a second). */
const SMOKE_TEST_TIMEOUT_SECONDS = 20;

/**
 * The catalogue of the run: the chosen series of the packaged one, with crons that never
 * fire; with `targets`, the targets it publishes to (absent: the default one).
 */
function writeCatalogue(
  file: string,
  series: readonly SeriesFacts[],
  targets?: Record<string, Record<string, unknown>>,
): void {
  const packaged = parse(readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8')) as {
    defaults: Record<string, unknown> & {
      schedule: Record<string, unknown>;
      smokeTest: Record<string, unknown>;
    };
    series: Record<string, Record<string, unknown>>;
  };
  const chosen: Record<string, Record<string, unknown>> = {};
  for (const s of series) {
    const entry = packaged.series[s.id];
    if (!entry) throw new Error(`series ${s.id} is not in ${DEFAULT_CATALOGUE_PATH}`);
    const smokeTested = SERIES_TRAITS[s.id]?.smokeTested === true;
    chosen[s.id] = {
      ...entry,
      // the mirror serves plain http: every feed opts in, as mirror catalogues do
      feed: { ...(entry.feed as Record<string, unknown>), insecureHttp: MIRROR_HTTP_OPT_IN },
      // in-house series are off until the operator names their feed: the mirror serves it
      enabled: true,
      ...(smokeTested ? {} : { smokeTest: false }),
      ...(s.retired ? { retired: true } : {}),
    };
  }
  // The smoke test runs for the smoke-tested series only (their upstream can publish a build
  // that never boots), with a short timeout: a failing guest is judged within a step. The
  // other series keep none, so their histories stay those of the runs the README reports.
  // in the publishing account's own project (the soak's clouds.yaml has that entry only)
  const { project: _ownProject, ...smokeTest } = packaged.defaults.smokeTest;
  const catalogue = {
    defaults: {
      ...packaged.defaults,
      smokeTest: { ...smokeTest, timeoutSeconds: SMOKE_TEST_TIMEOUT_SECONDS },
      schedule: { ...packaged.defaults.schedule, cron: NEVER_CRON },
      // a community image unused for a simulated day may go: reaps happen within a short run
      gracePeriodDays: 1,
    },
    ...(targets ? { targets } : {}),
    series: chosen,
  };
  writeFileSync(file, stringify(catalogue));
}

function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path.slice(dir.length + 1));
    }
  };
  walk(dir);
  return files;
}

async function retrying<T>(what: string, work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw new Error(`${what}: ${(error as Error).message}`);
      await sleep(1000 * attempt);
    }
  }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

interface TenantResource {
  id: string;
  tenant: TenantName;
  imageId: string;
  /** The volume a server boots from (boot-from-volume). */
  volumeId?: string;
  /** The server abandon-pinned soft-deleted to be its image's only user. */
  pin?: true;
}

/** A server's status now, as its tenant sees it (SOFT_DELETED included); undefined: gone. */
async function statusOf(client: OpenStackClient, id: string): Promise<string | undefined> {
  try {
    return (await client.nova.getServer(id)).status;
  } catch (error) {
    if (error instanceof OpenStackHttpError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * A server gone for good: deleted once (this cloud soft-deletes; a second DELETE would leave it
 * stuck in task_state `deleting`), force-deleted once SOFT_DELETED (the client does both:
 * deleteServer force-deletes a server already soft-deleted, waitForServerGone one that
 * becomes so), and waited for (404).
 */
async function removeServer(client: OpenStackClient, id: string, timeoutMs = 90_000) {
  await client.nova.deleteServer(id);
  await client.nova.waitForServerGone(id, timeoutMs);
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const plan: SoakPlan = planSoak({
    seed: options.seed,
    days: options.days,
    series: options.series ?? DEFAULT_SERIES,
    targets: options.targets ?? 1,
  });
  const twoTargets = plan.targets === 2;
  const convergenceDays = options.convergenceDays ?? 3;
  const t0 = Date.now();
  const history: string[] = [];
  const report: SoakReport = {
    seed: plan.seed,
    days: plan.days,
    series: plan.series,
    targets: plan.targets,
    targetEvents: {},
    regionTwoOutageFailures: 0,
    steps: 0,
    faults: {},
    clockRestarts: 0,
    skipped: {},
    upstream: {},
    tenants: {},
    operator: {},
    processes: { started: 0, killed: 0, failpointsFired: 0, failpointErrors: 0, drained: 0 },
    glance: { appeared: 0, went: 0 },
    checkRounds: 0,
    checks: 0,
    violations: [],
    unexpectedExits: [],
    converged: false,
    convergenceDays: undefined,
    convergenceSeconds: 0,
    seconds: 0,
    history,
  };
  const note = (line: string) => {
    history.push(line);
    log(line);
  };

  const service = connect('service');
  const admin = connect('admin');
  const tenants: Record<TenantName, OpenStackClient> = {
    tenant: connect('tenant'),
    tenant2: connect('tenant2'),
  };
  const owner = await service.projectId();
  /**
   * Region two (two targets): the service's account there (its Glance holds the second
   * target's images), an admin listing it, and a tenant looking the Latest up by name there.
   */
  const regionTwo = twoTargets
    ? {
        service: OpenStackClient.connect({ cloud: `${cloudNames.service}-r2` }),
        admin: OpenStackClient.connect({ cloud: `${cloudNames.admin}-r2` }),
        tenant: OpenStackClient.connect({ cloud: `${cloudNames.tenant}-r2` }),
      }
    : undefined;
  const dir = mkdtempSync(join(tmpdir(), `soak-${plan.seed}-`));
  const staging = join(dir, 'staging');
  const catalogueFile = join(dir, 'catalogue.yaml');
  const name = (kind: string) =>
    `soak-${plan.seed}-${kind}-${Math.random().toString(36).slice(2, 8)}`;

  const mirror: Mirror = await startMirror({ images: { dataClusters: 32 } });
  mirror.seedDay = FIRST_DAY;
  let redis: PrivateRedis | undefined;
  /** Glance, Nova and Cinder as the workers reach them: each behind a fault proxy. */
  const proxies = new Map<ApiOutageKind, FaultProxy>();
  /** Two targets: region two's Glance as the workers reach it, behind a proxy of its own. */
  let targetProxy: FaultProxy | undefined;
  let events: Redis | undefined;
  let cluster: Cluster | undefined;
  const servers: TenantResource[] = [];
  const volumes: TenantResource[] = [];
  const decoys: { by: OpenStackClient; id: string }[] = [];
  let runtime: ReturnType<typeof testRuntime>['runtime'] | undefined;

  try {
    // ---- the world the soak starts from -------------------------------------------------
    const facts: SeriesFacts[] = [];
    const catalogue = parse(readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8')) as {
      series: Record<string, { title: string }>;
    };
    for (const id of plan.series)
      facts.push({ id, title: catalogue.series[id]?.title ?? id, retired: false });
    const releases = new Map<string, ReleaseFacts>();
    let order = 0;
    const remember = (
      release: Awaited<ReturnType<Mirror['publish']>>,
      genuine: boolean,
    ): ReleaseFacts => {
      const fact: ReleaseFacts = {
        series: release.distro,
        version: release.version,
        order: ++order,
        sha512: release.image.uncompressed.sha512,
        sha256: release.image.uncompressed.sha256,
        size: release.image.uncompressed.size,
        genuine,
        withdrawn: false,
      };
      releases.set(releaseKey(release.distro, release.version), fact);
      return fact;
    };
    for (const s of facts)
      remember(await mirror.publish(s.id as Distro, { date: FIRST_DAY }), true);
    // the workers' clouds.yaml entries (written below, once the proxies listen)
    const catalogueTargets = twoTargets
      ? {
          [TARGET_NAMES[0]]: { cloud: 'soak', usageCloud: 'soak', region: 'RegionOne' },
          [TARGET_NAMES[1]]: { cloud: 'soak-r2', usageCloud: 'soak-r2', region: 'RegionTwo' },
        }
      : undefined;
    writeCatalogue(catalogueFile, facts, catalogueTargets);

    for (const s of facts) await removeManagedImages(service, s.id);
    if (regionTwo) for (const s of facts) await removeManagedImages(regionTwo.service, s.id);
    await removeLeftovers([service, tenants.tenant, tenants.tenant2], admin);
    // Tenant images that look like managed ones, and a service image without the tag:
    // imagecycle must never write any of them.
    for (const [tenant, visibility] of [
      ['tenant', 'private'],
      ['tenant2', 'community'],
    ] as const) {
      const first = facts[0] as SeriesFacts;
      const decoy = await tenants[tenant].glance.createImage({
        name: `${first.title} - 2026-10-01`,
        disk_format: 'qcow2',
        visibility,
        tags: ['imagecycle'],
        properties: {
          imagecycle_series: first.id,
          imagecycle_version: '20261001',
          imagecycle_state: 'community',
          soak_decoy: name('decoy'),
        },
      });
      decoys.push({ by: tenants[tenant], id: decoy.id });
    }
    const untagged = await service.glance.createImage({
      name: name('untagged'),
      disk_format: 'qcow2',
      visibility: 'private',
      properties: { imagecycle_series: (facts[0] as SeriesFacts).id, soak_decoy: 'untagged' },
    });
    decoys.push({ by: service, id: untagged.id });
    const medium = await tenants.tenant.nova.resolveFlavor('m1.medium');
    const large = await tenants.tenant.nova.resolveFlavor('m1.large');
    /** m1.medium (2048 MiB, 10 GiB), or m1.large for what needs more (Windows: 4096 MiB, 40 GiB). */
    const flavorFor = (image: GlanceImage) =>
      image.min_ram > 2048 || image.min_disk > 10 ? large : medium;

    const knowledge = {
      owner,
      series: facts,
      published: new Set<string>(),
      releases,
      operatorDeactivated: new Set<string>(),
      awaitingJanitor: new Set<string>(),
      seenManaged: new Map<string, { series: string; version: string; name: string }>(),
      untouched: new Map<string, string>(),
      unreadableDates: new Map<string, string>(),
    } satisfies Knowledge;

    const listImages = async (): Promise<GlanceImage[]> => {
      const [shown, hidden] = await Promise.all([
        admin.glance.listAllImages({ visibility: 'all' }),
        admin.glance.listAllImages({ visibility: 'all', os_hidden: true }),
      ]);
      return [...new Map([...shown, ...hidden].map((i) => [i.id, i])).values()];
    };
    const lookup = (tenant: TenantName, series: SeriesFacts) =>
      tenants[tenant].glance.listAllImages({ name: latestNameOf(series.title) });
    /**
     * Region two's Glance as an admin and a tenant see it. Its Nova and Cinder boot from region
     * one's Glance (the stack's topology): no server or volume can use a region-two image, so
     * its in-use judgement has no users to weigh - region one's covers the tenants' servers.
     */
    const knowledgeTwo = regionTwo
      ? ({
          owner,
          series: facts,
          published: new Set<string>(),
          releases,
          operatorDeactivated: new Set<string>(),
          awaitingJanitor: new Set<string>(),
          seenManaged: new Map<string, { series: string; version: string; name: string }>(),
          untouched: new Map<string, string>(),
          unreadableDates: new Map<string, string>(),
        } satisfies Knowledge)
      : undefined;
    const observeTwo = async (): Promise<Observation | undefined> => {
      if (!regionTwo) return undefined;
      return retrying('observing region two', async () => {
        const [shown, hidden] = await Promise.all([
          regionTwo.admin.glance.listAllImages({ visibility: 'all' }),
          regionTwo.admin.glance.listAllImages({ visibility: 'all', os_hidden: true }),
        ]);
        const images = [...new Map([...shown, ...hidden].map((i) => [i.id, i])).values()];
        const lookups = new Map<string, GlanceImage[]>();
        for (const s of facts)
          lookups.set(
            s.id,
            await regionTwo.tenant.glance.listAllImages({ name: latestNameOf(s.title) }),
          );
        return { images, servers: [], volumes: [], lookups };
      });
    };
    const observe = (): Promise<Observation> =>
      retrying('observing the cloud', async () => {
        // soft-deleted servers are left out of Nova's default listing: listed on their own
        const [images, live, softDeleted, volumes] = await Promise.all([
          listImages(),
          all<Server>(admin.nova.listServers({ allTenants: true })),
          listSoftDeletedServers(admin),
          all<Volume>(admin.cinder.listVolumes({ allTenants: true })),
        ]);
        const lookups = new Map<string, GlanceImage[]>();
        for (const s of facts) lookups.set(s.id, await lookup('tenant', s));
        const servers = [...new Map([...live, ...softDeleted].map((v) => [v.id, v])).values()];
        return { images, servers, volumes, lookups };
      });
    for (const image of (await observe()).images)
      if (!isSoakImage(image, knowledge)) knowledge.untouched.set(image.id, fingerprint(image));
    if (knowledgeTwo)
      for (const image of (await observeTwo())?.images ?? [])
        if (!isSoakImage(image, knowledgeTwo))
          knowledgeTwo.untouched.set(image.id, fingerprint(image));

    // ---- Redis, Glance behind a fault proxy, the processes --------------------------------
    redis = await startPrivateRedis();
    const queues = testRuntime(`soak-${plan.seed}`, { redisUrl: redis.url });
    runtime = queues.runtime;
    const activeRuntime = runtime;
    for (const [kind, serviceType] of Object.entries(API_OUTAGES) as [
      ApiOutageKind,
      (typeof API_OUTAGES)[ApiOutageKind],
    ][])
      proxies.set(kind, await startFaultProxy(await service.session.endpoint(serviceType)));
    const proxyUrl = (kind: ApiOutageKind) => (proxies.get(kind) as FaultProxy).url;
    if (regionTwo)
      targetProxy = await startFaultProxy(await regionTwo.service.session.endpoint('image'));
    const clouds = parse(readFileSync(process.env.OS_CLIENT_CONFIG_FILE ?? '', 'utf8')) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    const cloudsFile = join(dir, 'clouds.yaml');
    writeFileSync(
      cloudsFile,
      stringify({
        clouds: {
          soak: {
            ...clouds.clouds[cloudNames.service],
            image_endpoint_override: proxyUrl('glance-outage'),
            compute_endpoint_override: proxyUrl('nova-outage'),
            block_storage_endpoint_override: proxyUrl('cinder-outage'),
          },
          // region two: its own Glance through its own proxy (target-outage); its Nova and
          // Cinder, which the usage check of region two lists, as they are
          ...(targetProxy
            ? {
                'soak-r2': {
                  ...clouds.clouds[`${cloudNames.service}-r2`],
                  image_endpoint_override: targetProxy.url,
                },
              }
            : {}),
        },
      }),
    );
    const baseEnv = imagecycleEnv(mirror, {
      OS_CLIENT_CONFIG_FILE: cloudsFile,
      OS_CLOUD: 'soak',
      REDIS_URL: redis.url,
      IMAGECYCLE_QUEUE_PREFIX: queues.prefix,
      IMAGECYCLE_STAGING_DIR: staging,
      IMAGECYCLE_CATALOGUE: catalogueFile,
      IMAGECYCLE_JOB_LOCK_SECONDS: '2',
      IMAGECYCLE_RETRY_DELAY_SECONDS: '2',
      IMAGECYCLE_REAP_SETTLE_SECONDS: '2',
      IMAGECYCLE_USAGE_CHECK_CRON: NEVER_CRON,
      IMAGECYCLE_JANITOR_CRON: NEVER_CRON,
      // two targets: an upload waits TARGET_OUTAGE_ALLOWANCE_MS for an unreachable target,
      // asking each second, then gives up; targets may disagree for a few seconds only
      ...(twoTargets
        ? {
            IMAGECYCLE_TARGET_OUTAGE_SECONDS: String(TARGET_OUTAGE_ALLOWANCE_MS / 1000),
            IMAGECYCLE_TARGET_RETRY_SECONDS: '1',
            IMAGECYCLE_TARGETS_DISAGREE_SECONDS: '5',
          }
        : {}),
    });
    if (twoTargets) {
      events = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
      // Redis restarts are among the faults: a read then retries (retrying), no need to shout
      events.on('error', () => undefined);
    }
    const eventStream = `${queues.prefix}:events`;
    let eventsSeen = '0';
    /** The events recorded since the last call, counted by `<type> <target>`. */
    const newTargetEvents = async (): Promise<Record<string, number>> => {
      const counted: Record<string, number> = {};
      if (!events) return counted;
      const entries = await retrying('reading the events', () =>
        (events as Redis).xrange(eventStream, `(${eventsSeen}`, '+'),
      );
      for (const [id, fields] of entries) {
        eventsSeen = id;
        const raw = fields[fields.indexOf('event') + 1];
        const event = raw ? (JSON.parse(raw) as { type?: string; target?: string }) : {};
        const key = `${event.type ?? '?'} ${event.target ?? '-'}`;
        count(counted, key);
        count(report.targetEvents, key);
      }
      return counted;
    };
    // The workers' clock (usage checks, reaps): simulated day d is d-1 days after the start.
    // The janitor keeps the real clock while faults strike: it judges candidates by Glance's
    // real created_at, and a simulated day would make every upload in flight look dead.
    const start = Date.now() + 3_600_000;
    let day = 1;
    let janitorClock = false;
    let drainSeconds = 2;
    const clockOf = (d: number) => new Date(start + (d - 1) * DAY_MS).toISOString();
    const grace = () => (drainSeconds + 15) * 1000;
    cluster = new Cluster({
      replicas: plan.replicas,
      log,
      envFor: (stage: WorkerName) => ({
        ...baseEnv,
        IMAGECYCLE_DRAIN_SECONDS: String(drainSeconds),
        ...(stage === 'usage-checker' || stage === 'reaper' || (stage === 'janitor' && janitorClock)
          ? { IMAGECYCLE_FAKE_NOW: clockOf(day) }
          : {}),
      }),
    });
    const workers = cluster;
    workers.startAll();

    // ---- what the steps do --------------------------------------------------------------
    const triggerFeedChecks = () =>
      Promise.all(
        facts.map((s) =>
          activeRuntime.enqueue(feedCheckQueue, { series: s.id, trigger: 'schedule' }),
        ),
      );
    /**
     * What a job of a target's own work (janitor, usage check, reconcile) carries: nothing with
     * one target (the default one), each target's name with two - as the schedules do.
     */
    const perTarget: { target?: string }[] = twoTargets
      ? TARGET_NAMES.map((target) => ({ target }))
      : [{}];
    const triggerLifecycle = async () => {
      // this pass heals what the operator did before it (deactivations of this step may come
      // after it, and wait for the next one)
      knowledge.awaitingJanitor.clear();
      for (const target of perTarget) {
        await activeRuntime.enqueue(janitorQueue, { trigger: 'schedule', ...target });
        await activeRuntime.enqueue(usageCheckQueue, { trigger: 'schedule', ...target });
      }
    };
    let stepHandles: FaultHandle[] = [];
    /** Work a step started that must end before the step is judged. */
    let backgroundWork: Promise<unknown>[] = [];
    let outageUntil = 0;
    let where = 'setup';

    const violations = new Map<string, SoakViolation>();
    const violation = (kind: ViolationKind, subject: string, detail: string) => {
      const key = `${kind} ${subject}`;
      const known = violations.get(key);
      if (known) {
        known.occurrences += 1;
        known.lastSeen = where;
        const seen = [known.detail, ...known.later.map((l) => l.detail)];
        if (!seen.includes(detail) && known.later.length < 5) {
          known.later.push({ at: where, detail });
          log(`  still violated (${kind}) ${subject}, now: ${detail}`);
        }
        return;
      }
      const v: SoakViolation = {
        kind,
        subject,
        detail,
        firstSeen: where,
        lastSeen: where,
        occurrences: 1,
        later: [],
      };
      violations.set(key, v);
      report.violations.push(v);
      log(
        [
          '',
          `VIOLATION (${kind}) seed ${plan.seed}, ${where}: ${subject}`,
          `  ${detail}`,
          `  fault history so far:`,
          ...history.map((line) => `    ${line}`),
          `  replay: ./dev soak --replay ${plan.seed} --days ${plan.days}${twoTargets ? ' --targets 2' : ''}`,
          '',
        ].join('\n'),
      );
    };

    const managedOf = (images: readonly GlanceImage[], series: string) =>
      images.filter(
        (i) =>
          isSoakImage(i, knowledge) &&
          i.imagecycle_series === series &&
          i.imagecycle_state !== 'candidate',
      );
    const byVersion = (a: GlanceImage, b: GlanceImage) =>
      (releases.get(releaseKey(String(a.imagecycle_series), String(a.imagecycle_version)))?.order ??
        0) -
      (releases.get(releaseKey(String(b.imagecycle_series), String(b.imagecycle_version)))?.order ??
        0);
    const choose = <T>(items: readonly T[], pick: number): T | undefined =>
      items[Math.min(items.length - 1, Math.floor(pick * items.length))];

    /** A tenant's lookup of the Latest by name: finding nothing is invariant 1 broken, there and then. */
    const resolveLatest = async (tenant: TenantName, series: SeriesFacts) => {
      const found = await lookup(tenant, series);
      if (found.length === 0 && knowledge.published.has(series.id) && !series.retired)
        violation(
          'latest',
          `series ${series.id}`,
          `a tenant's lookup of "${latestNameOf(series.title)}" by name found nothing (${new Date().toISOString()})`,
        );
      if (found.length !== 1) {
        note(`      ${tenant} looked up ${series.id}'s Latest: ${found.length} images, no boot`);
        return undefined;
      }
      return found[0];
    };

    const upstreamEvent = async (event: UpstreamEvent, day: number) => {
      const date = addDays(FIRST_DAY, day - 1);
      const series = event.series as Distro;
      const release = await mirror.publish(series, {
        date,
        ...(event.kind === 'unbootable' ? { guestBoot: 'fail' as const } : {}),
      });
      if (event.kind === 'corrupt-bytes') mirror.faults.corrupt(release.image.path);
      if (event.kind === 'forged-signature')
        for (const signature of release.signatures.filter((s) => !s.url.includes('/streams/')))
          mirror.faults.forgeSignature(signature.url, { mode: 'other-key' });
      const genuine = event.kind !== 'corrupt-bytes' && event.kind !== 'forged-signature';
      const fact = remember(release, genuine);
      if (event.kind === 'unbootable') {
        fact.bootable = false;
        reconcileDuringSmokeTest(series, release.version);
      }
      count(report.upstream, event.kind);
      note(`  upstream ${event.kind} ${series} ${release.version}`);
    };

    /**
     * A reconcile of the series while the release's candidate is in its smoke test (active,
     * still a candidate): what a retried reconcile or another upload's finishing does. Waits
     * for that moment in the background; the step's settling waits for it.
     */
    const reconcileDuringSmokeTest = (series: string, version: string) => {
      const watch = (async () => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const images = (await listImages().catch(() => [])).filter(
            (i) => i[PROPERTY.series] === series && i[PROPERTY.version] === version,
          );
          const candidate = images.find(
            (i) => i.status === 'active' && i[PROPERTY.state] === 'candidate',
          );
          if (candidate) {
            for (const target of perTarget)
              await activeRuntime.enqueue(reconcileQueue, {
                series,
                reason: 'soak: a reconcile during a smoke test',
                ...target,
              });
            note(
              `    reconcile of ${series} while ${version}'s candidate ${candidate.id} is in its smoke test`,
            );
            return;
          }
          if (images.some((i) => i[PROPERTY.state] !== 'candidate'))
            return note(
              `    ${series} ${version} left its candidate state before a reconcile could be sent`,
            );
          const job = await activeRuntime
            .queue(uploadQueue)
            .getJob(uploadJobId(series, version))
            .catch(() => undefined);
          if (job && ((await job.isCompleted()) || (await job.isFailed())))
            return note(
              `    ${series} ${version}: its upload ended before a reconcile could be sent`,
            );
          await sleep(250);
        }
        note(`    ${series} ${version}: no active candidate within 120 s, no reconcile sent`);
      })();
      backgroundWork.push(watch);
    };

    /**
     * Tenants' servers and volumes gone for good: the servers first (a volume a server boots
     * from comes free only once it is gone), then the volumes.
     */
    const removeUsers = async (leaving: TenantResource[], leavingVolumes: TenantResource[]) => {
      await Promise.all(
        leaving.map(async (server) => {
          if ((await statusOf(tenants[server.tenant], server.id)) !== undefined)
            await removeServer(tenants[server.tenant], server.id);
          forget(servers, server);
        }),
      );
      await Promise.all(
        leavingVolumes.map(async (volume) => {
          const client = tenants[volume.tenant];
          const free = () =>
            waitForVolumeStatus(client, volume.id, ['available', 'error'], 20_000).catch(
              () => undefined,
            );
          // its server is gone, yet Cinder may keep the attachment (see resetVolumeToDetached);
          // one still being made from its image is waited for
          if (!(await free())) {
            const { status } = await getVolume(client, volume.id);
            if (status === 'in-use') await resetVolumeToDetached(admin, volume.id);
            else await waitForVolumeStatus(client, volume.id, ['available', 'error'], 120_000);
          }
          if (await deleteVolume(client, volume.id))
            await waitForVolumeGone(client, volume.id, 60_000);
          forget(volumes, volume);
        }),
      );
    };

    /** Does what the action says; false when there was nothing to do it to (skipped). */
    const act = async (action: Action): Promise<boolean | undefined> => {
      const line = `  ${describeAction(action)}`;
      const skip = (why: string) => {
        count(report.skipped, action.kind);
        note(`${line} - skipped: ${why}`);
        return false;
      };
      const seriesOf = (id: string) => facts.find((s) => s.id === id) as SeriesFacts;
      switch (action.kind) {
        case 'sigkill':
          note(line);
          await workers.sigkill(action.worker);
          return;
        case 'sigterm':
          note(line);
          await workers.sigterm(action.worker, grace());
          return;
        case 'restart':
          note(line);
          await workers.restart(action.worker, grace());
          return;
        case 'failpoint':
          note(line);
          await workers.arm(
            FAILPOINT_STAGE[action.point],
            action.point,
            grace(),
            action.mode ?? 'kill',
          );
          return;
        case 'redis-restart':
          note(line);
          await redis?.restart(action.downMs);
          return;
        case 'glance-outage':
        case 'nova-outage':
        case 'cinder-outage':
          note(line);
          proxies.get(action.kind)?.outage(action.ms, action.answer);
          outageUntil = Math.max(outageUntil, Date.now() + action.ms);
          return;
        case 'target-outage':
          if (!targetProxy) return skip('one target');
          note(line);
          targetProxy.outage(action.ms, action.answer);
          outageUntil = Math.max(outageUntil, Date.now() + action.ms);
          return;
        case 'mirror-5xx': {
          note(line);
          const host = new URL(mirror.feedUrl(action.series as Distro)).pathname.split('/')[1];
          stepHandles.push(mirror.faults.fail({ prefix: `/${host}/` }, { times: action.times }));
          return;
        }
        case 'mirror-cut': {
          const newest = mirror.latest(action.series as Distro);
          if (!newest) return skip('nothing published');
          note(`${line} (${newest.version})`);
          stepHandles.push(mirror.faults.truncate(newest.image.path, { times: 1 }));
          return;
        }
        case 'mirror-slow': {
          const newest = mirror.latest(action.series as Distro);
          if (!newest) return skip('nothing published');
          note(`${line} (${newest.version})`);
          stepHandles.push(
            mirror.faults.trickle(newest.image.path, { chunkBytes: 64 * 1024, intervalMs: 100 }),
          );
          return;
        }
        case 'withdraw': {
          const live = mirror.releases(action.series as Distro);
          const newest = live.at(-1);
          if (!newest || live.length < 2) return skip('only one release left upstream');
          await mirror.withdraw(action.series as Distro, newest.version);
          const fact = releases.get(releaseKey(action.series, newest.version));
          if (fact) fact.withdrawn = true;
          count(report.upstream, 'withdraw');
          note(`${line} (${newest.version})`);
          return;
        }
        case 'boot-by-name':
        case 'boot-by-uuid':
        case 'volume-from-image':
        case 'boot-from-volume': {
          const series = seriesOf(action.series);
          let image: GlanceImage | undefined;
          if (action.kind === 'boot-by-name' || ('byName' in action && action.byName))
            image = await resolveLatest(action.tenant, series);
          else {
            const candidates = managedOf(await listImages(), series.id).sort(byVersion);
            image = choose(candidates, action.pick);
          }
          if (!image) return skip('no image to use');
          const client = tenants[action.tenant];
          const remembered = {
            series: series.id,
            version: String(image.imagecycle_version),
            name: image.name ?? '',
          };
          try {
            if (action.kind === 'volume-from-image' || action.kind === 'boot-from-volume') {
              const volume = await createVolume(client, {
                size: Math.max(10, image.min_disk),
                name: name('vol'),
                imageRef: image.id,
              });
              volumes.push({ id: volume.id, tenant: action.tenant, imageId: image.id });
              knowledge.seenManaged.set(image.id, remembered);
              if (action.kind === 'volume-from-image') {
                note(`${line} -> volume ${volume.id} from ${image.id} (${image.name})`);
              } else {
                await waitForVolumeStatus(client, volume.id, ['available'], 120_000);
                const server = await createServerFromVolume(client, {
                  name: name('bfv'),
                  volumeId: volume.id,
                  flavorRef: flavorFor(image),
                });
                servers.push({
                  id: server.id,
                  tenant: action.tenant,
                  imageId: image.id,
                  volumeId: volume.id,
                });
                note(
                  `${line} -> server ${server.id} booted from volume ${volume.id} of ${image.id} (${image.name})`,
                );
              }
            } else {
              const server = await client.nova.createServer({
                name: name('vm'),
                imageRef: image.id,
                flavorRef: flavorFor(image),
              });
              servers.push({ id: server.id, tenant: action.tenant, imageId: image.id });
              knowledge.seenManaged.set(image.id, remembered);
              note(`${line} -> server ${server.id} from ${image.id} (${image.name})`);
            }
            count(report.tenants, action.kind);
          } catch (error) {
            // Nova and Cinder refuse an image that is not active: a refusal, not a fault
            count(report.tenants, `${action.kind} refused`);
            note(
              `${line} -> refused for ${image.id} (${image.status}): ${(error as Error).message.slice(0, 160)}`,
            );
          }
          return;
        }
        case 'abandon-pinned': {
          // Tenants are done with an old community image (past the retention floor: not the
          // newest community image): every server and volume they have from it goes for good
          // but one server, which is deleted - soft-deleted and restorable for an hour, its
          // only user.
          const series = seriesOf(action.series);
          const managed = managedOf(await listImages(), series.id).sort(byVersion);
          const community = managed
            .filter((i) => i.imagecycle_state === 'community')
            .slice(0, -1)
            .filter((i) => i.status === 'active');
          const image = choose(community, action.pick);
          if (!image)
            return skip(
              `no active community image past the retention floor (${managed.map((i) => `${String(i.imagecycle_version)} ${String(i.imagecycle_state)} ${i.status}`).join(', ')})`,
            );
          const client = tenants[action.tenant];
          try {
            let kept = servers.filter((s) => s.imageId === image.id && !s.volumeId).at(-1);
            const leaving = servers.filter((s) => s.imageId === image.id && s !== kept);
            const leavingVolumes = volumes.filter((v) => v.imageId === image.id);
            await removeUsers(leaving, leavingVolumes);
            if (!kept) {
              const server = await client.nova.createServer({
                name: name('pin'),
                imageRef: image.id,
                flavorRef: flavorFor(image),
              });
              kept = { id: server.id, tenant: action.tenant, imageId: image.id };
              servers.push(kept);
              knowledge.seenManaged.set(image.id, {
                series: series.id,
                version: String(image.imagecycle_version),
                name: image.name ?? '',
              });
              await client.nova.waitForServerStatus(server.id, ['ACTIVE', 'ERROR'], 60_000);
            }
            kept.pin = true; // abandon-oldest leaves it be
            const owner = tenants[kept.tenant];
            if ((await statusOf(owner, kept.id)) !== 'SOFT_DELETED') {
              await owner.nova.deleteServer(kept.id);
              await owner.nova.waitForServerStatus(kept.id, ['SOFT_DELETED'], 60_000);
            }
            count(report.tenants, action.kind);
            note(
              `${line} -> ${image.id} (${image.name}): ${leaving.length} server(s) and ${leavingVolumes.length} volume(s) gone, server ${kept.id} soft-deleted, its only user`,
            );
          } catch (error) {
            count(report.tenants, `${action.kind} refused`);
            note(`${line} -> ${image.id}: ${(error as Error).message.slice(0, 160)}`);
          }
          return;
        }
        case 'abandon-oldest': {
          // the images the soak's servers and volumes were made from, but a Latest and one
          // abandon-pinned holds with a soft-deleted server (left to test that): oldest first
          const images = new Map((await listImages()).map((i) => [i.id, i]));
          const latestNames = new Set(facts.map((s) => latestNameOf(s.title)));
          const pinned = new Set(servers.filter((s) => s.pin).map((s) => s.imageId));
          const image = [...new Set([...servers, ...volumes].map((r) => r.imageId))]
            .filter((id) => !pinned.has(id))
            .map((id) => images.get(id))
            .filter((i): i is GlanceImage => i !== undefined && isSoakImage(i, knowledge))
            .filter((i) => !latestNames.has(i.name ?? ''))
            .sort(byVersion)[0];
          if (!image) return skip('no image in use but a Latest');
          const leaving = servers.filter((s) => s.imageId === image.id);
          const leavingVolumes = volumes.filter((v) => v.imageId === image.id);
          await removeUsers(leaving, leavingVolumes);
          count(report.tenants, action.kind);
          note(
            `${line} -> ${image.id} (${String(image.imagecycle_series)} ${String(image.imagecycle_version)}): ${leaving.length} server(s), ${leavingVolumes.length} volume(s) gone`,
          );
          return;
        }
        case 'delete-volume': {
          const victim = choose(volumes, action.pick);
          if (!victim) return skip('none to delete');
          try {
            await deleteVolume(tenants[victim.tenant], victim.id);
            forget(volumes, victim);
            count(report.tenants, action.kind);
            note(`${line} -> ${victim.id}`);
          } catch (error) {
            // a volume a server boots from is in-use: Cinder refuses
            count(report.tenants, `${action.kind} refused`);
            note(`${line} -> ${victim.id} refused: ${(error as Error).message.slice(0, 160)}`);
          }
          return;
        }
        case 'delete-server':
        case 'stop':
        case 'start':
        case 'shelve':
        case 'unshelve':
        case 'rescue':
        case 'unrescue':
        case 'restore':
        case 'force-delete': {
          // the statuses of the soak's servers now: the action picks among those it fits
          const statuses = await Promise.all(
            servers.map(async (s) => [s, await statusOf(tenants[s.tenant], s.id)] as const),
          );
          for (const [server, status] of statuses)
            if (status === undefined) forget(servers, server);
          const fits = (status: string | undefined) =>
            status !== undefined &&
            (action.kind === 'delete-server'
              ? status !== 'SOFT_DELETED'
              : (SERVER_ACTIONS[action.kind] as readonly string[]).includes(status));
          const candidates = statuses.filter(([, status]) => fits(status));
          const chosen = choose(candidates, action.pick);
          if (!chosen)
            return skip(
              `no server ${action.kind === 'delete-server' ? 'to delete' : `in ${SERVER_ACTIONS[action.kind].join('/')}`}`,
            );
          const [victim, status] = chosen;
          const client = tenants[victim.tenant];
          try {
            if (action.kind === 'delete-server') await client.nova.deleteServer(victim.id);
            else
              await serverAction(client, victim.id, {
                [{
                  stop: 'os-stop',
                  start: 'os-start',
                  shelve: 'shelve',
                  unshelve: 'unshelve',
                  rescue: 'rescue',
                  unrescue: 'unrescue',
                  restore: 'restore',
                  'force-delete': 'forceDelete',
                }[action.kind]]: null,
              });
            if (action.kind === 'force-delete') forget(servers, victim);
            count(report.tenants, action.kind);
            note(`${line} -> ${victim.id} (was ${status}, image ${victim.imageId})`);
          } catch (error) {
            // Nova answers 409 to an action the server's task state does not allow right now
            count(report.tenants, `${action.kind} refused`);
            note(
              `${line} -> ${victim.id} (${status}) refused: ${(error as Error).message.slice(0, 160)}`,
            );
          }
          return;
        }
        case 'deactivate-latest': {
          const series = seriesOf(action.series);
          if (series.retired) return skip('retired');
          const images = await listImages();
          const latest = images.find(
            (i) =>
              i.owner === owner && i.name === latestNameOf(series.title) && i.status === 'active',
          );
          const others = managedOf(images, series.id).filter(
            (i) => i.status === 'active' && i.id !== latest?.id,
          );
          if (!latest || others.length === 0)
            return skip('no active Latest with an active image to fall back on');
          await service.glance.deactivateImage(latest.id);
          knowledge.operatorDeactivated.add(latest.id);
          knowledge.awaitingJanitor.add(latest.id);
          count(report.operator, action.kind);
          note(`${line} -> ${latest.id} (${String(latest.imagecycle_version)})`);
          return;
        }
        case 'reactivate': {
          const ids = [...knowledge.operatorDeactivated];
          const id = choose(ids, action.pick);
          if (!id) return skip('nothing deactivated');
          knowledge.operatorDeactivated.delete(id);
          // Active again, it may be the newest release of its series once more; it takes
          // the Latest role back at the next janitor pass, not at once.
          knowledge.awaitingJanitor.add(id);
          if (await service.glance.findImage(id)) await service.glance.reactivateImage(id);
          count(report.operator, action.kind);
          note(`${line} -> ${id}`);
          return;
        }
        case 'retire-series': {
          const series = seriesOf(action.series);
          if (facts.filter((s) => !s.retired).length < 2) return skip('the last series');
          series.retired = true;
          writeCatalogue(catalogueFile, facts, catalogueTargets);
          count(report.operator, action.kind);
          note(`${line}: catalogue changed, rolling restart of every worker`);
          await workers.rollingRestart(grace());
          return;
        }
        case 'unreadable-date': {
          // a community image a reap could take: any but the newest, which the floor keeps
          const images = await listImages();
          const reapable = facts
            .filter((s) => !s.retired)
            .flatMap((s) =>
              managedOf(images, s.id)
                .filter((i) => i.imagecycle_state === 'community' && i.status === 'active')
                .sort(byVersion)
                .slice(0, -1),
            );
          const image = choose(reapable, action.pick);
          if (!image) return skip('no community image but the newest of its series');
          await service.glance.patchImage(image.id, [
            {
              op: image[UNUSED_SINCE] === undefined ? 'add' : 'replace',
              path: `/${UNUSED_SINCE}`,
              value: action.value,
            },
          ]);
          knowledge.unreadableDates.set(image.id, action.value);
          count(report.operator, action.kind);
          note(
            `${line} -> ${image.id} (${String(image.imagecycle_series)} ${String(image.imagecycle_version)}, was ${JSON.stringify(image[UNUSED_SINCE] ?? null)})`,
          );
          return;
        }
        case 'concurrent-triggers':
          count(report.operator, action.kind);
          note(line);
          await Promise.all([
            triggerFeedChecks(),
            triggerFeedChecks(),
            ...perTarget.flatMap((target) => [
              activeRuntime.enqueue(janitorQueue, { trigger: 'manual', ...target }),
              activeRuntime.enqueue(usageCheckQueue, { trigger: 'manual', ...target }),
              ...facts.map((s) =>
                activeRuntime.enqueue(reconcileQueue, {
                  series: s.id,
                  reason: 'soak: operator',
                  ...target,
                }),
              ),
            ]),
          ]);
          return;
      }
    };

    const settle = async () => {
      for (const handle of stepHandles) handle.remove();
      stepHandles = [];
      if (outageUntil > Date.now()) await sleep(outageUntil - Date.now());
      // A worker armed to fail (not to die) keeps failing until the pipeline is at rest: its
      // jobs run out of attempts. Then it, too, is replaced by a healthy one.
      await workers.restore(grace(), { keepFailing: true });
      try {
        await waitUntilIdle(activeRuntime, allQueues, IDLE_TIMEOUT_MS);
        // a watcher waiting for a candidate's smoke test is done once the pipeline rests
        await Promise.all(backgroundWork);
        backgroundWork = [];
        await workers.restore(grace());
        return true;
      } catch (error) {
        await workers.restore(grace());
        const pending: string[] = [];
        for (const queue of allQueues) {
          const counts = await activeRuntime
            .queue(queue)
            .getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          pending.push(`${queue.name} ${JSON.stringify(counts)}`);
        }
        violation('stuck', 'pipeline', `${(error as Error).message}: ${pending.join('; ')}`);
        return false;
      }
    };

    const everPresent = new Set<string>();
    let present = new Set<string>();
    let presentTwo = new Set<string>();
    /**
     * What one Glance shows, taken in: images appeared and gone since `previous` (counted),
     * each managed image and each series' active Latest remembered; the soak images now there.
     */
    const absorb = (
      observation: Observation,
      known: typeof knowledge,
      previous: Set<string>,
    ): Set<string> => {
      const now = new Set(observation.images.filter((i) => isSoakImage(i, known)).map((i) => i.id));
      for (const id of now) if (!everPresent.has(id)) report.glance.appeared += 1;
      for (const id of previous) if (!now.has(id)) report.glance.went += 1;
      for (const id of now) everPresent.add(id);
      for (const image of observation.images) {
        if (!isSoakImage(image, known)) continue;
        known.seenManaged.set(image.id, {
          series: String(image.imagecycle_series),
          version: String(image.imagecycle_version),
          name: image.name ?? '',
        });
        const s = facts.find((f) => f.id === image.imagecycle_series);
        if (s && image.name === latestNameOf(s.title) && image.status === 'active')
          known.published.add(s.id);
      }
      return now;
    };
    /** Observes the cloud and judges it; returns what it saw and how many violations it found. */
    const check = async (): Promise<{
      observation: Observation;
      observationTwo: Observation | undefined;
      violated: number;
    }> => {
      const observation = await observe();
      present = absorb(observation, knowledge, present);
      // an image the operator deactivated that is gone since (it was reactivated and reaped)
      for (const id of knowledge.operatorDeactivated)
        if (!observation.images.some((i) => i.id === id)) knowledge.operatorDeactivated.delete(id);
      const result = checkInvariants(observation, knowledge);
      report.checkRounds += 1;
      report.checks += result.checks;
      // with two targets, each violation names its target's Glance
      const inTarget = (target: string, subject: string) =>
        twoTargets ? `${subject} in ${target}` : subject;
      for (const v of result.violations)
        violation(v.invariant, inTarget(TARGET_NAMES[0], v.subject), v.detail);
      let violated = result.violations.length;
      const observationTwo = await observeTwo();
      if (observationTwo && knowledgeTwo) {
        presentTwo = absorb(observationTwo, knowledgeTwo, presentTwo);
        const two = checkInvariants(observationTwo, knowledgeTwo);
        report.checks += two.checks;
        for (const v of two.violations)
          violation(v.invariant, inTarget(TARGET_NAMES[1], v.subject), v.detail);
        violated += two.violations.length;
      }
      return { observation, observationTwo, violated };
    };

    const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    /** Every replica has its workers connected (a restarted process takes a few seconds). */
    const workersReady = async () => {
      const deadline = Date.now() + 30_000;
      for (const [stage, replicas] of Object.entries(plan.replicas) as [WorkerName, number][]) {
        const queue = activeRuntime.queue(WORKERS[stage][0]);
        while ((await queue.getWorkersCount()) < replicas && Date.now() < deadline)
          await sleep(200);
      }
    };

    const moveClock = async (to: number, stages: WorkerName[]) => {
      day = to;
      for (const stage of stages) report.clockRestarts += workers.refs(stage).length;
      await workers.rollingRestart(grace(), stages);
    };

    // ---- the chaos phase ----------------------------------------------------------------
    log(
      `soak seed ${plan.seed}: ${plan.days} simulated day(s), series ${plan.series.join(', ')}, ` +
        `${Object.values(plan.replicas).reduce((a, b) => a + b, 0)} worker processes, mirror ${mirror.baseUrl}`,
    );
    for (const step of plan.steps) {
      where = `step ${step.step} (day ${step.day} ${step.phase})`;
      note(`${where}, drain ${step.drainSeconds} s (${elapsed()})`);
      drainSeconds = step.drainSeconds;
      if (step.phase === 'feed' && step.day > 1) {
        note(`  clock: day ${step.day} (${clockOf(step.day)}): usage-checker and reaper restart`);
        await moveClock(step.day, ['usage-checker', 'reaper']);
      }
      for (const event of step.upstream) await upstreamEvent(event, step.day);
      // failpoints and slow downloads lie in wait before the work arrives
      await runActions(step.actions.filter(armsBeforeTriggers), act, report, note);
      await workersReady();
      if (step.phase === 'feed') await triggerFeedChecks();
      else await triggerLifecycle();
      await runActions(
        step.actions.filter((a) => !armsBeforeTriggers(a)),
        act,
        report,
        note,
      );
      await settle();
      await check();
      if (twoTargets) {
        const happened = await newTargetEvents();
        const told = Object.entries(happened)
          .filter(([key]) => /^(uploaded|gave-up|targets-disagree|repaired) /.test(key))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, n]) => `${key} ${n}`);
        if (told.length > 0) note(`  events: ${told.join(', ')}`);
      }
      // the unreadable dates of this step may heal and be reaped a grace period later
      knowledge.unreadableDates.clear();
      note(`  at rest and checked (${elapsed()})`);
      report.steps += 1;
    }

    // ---- faults stop: convergence -------------------------------------------------------
    where = 'convergence';
    note('faults stop: convergence');
    const convergenceStart = Date.now();
    janitorClock = true;
    drainSeconds = 5;
    for (let c = 1; c <= convergenceDays; c++) {
      where = `convergence day ${c} (day ${plan.days + c})`;
      note(where);
      await settle();
      // the janitor gets the simulated clock too: each start runs it (dead candidates go)
      await moveClock(plan.days + c, ['usage-checker', 'reaper', 'janitor']);
      await workersReady();
      await triggerFeedChecks();
      await settle();
      await triggerLifecycle();
      await settle();
      const { observation, observationTwo, violated } = await check();
      const failedJobs: string[] = [];
      const outageCasualties: string[] = [];
      for (const queue of allQueues)
        for (const job of await activeRuntime.queue(queue).getJobs(['failed'])) {
          const line = `${queue.name} ${job.id}: ${job.failedReason}`;
          if (twoTargets && regionTwoOutageCasualty(job.data, job.failedReason, targetProxy))
            outageCasualties.push(line);
          else failedJobs.push(line);
        }
      if (outageCasualties.length > 0)
        note(
          `  ${outageCasualties.length} job(s) of region two failed for good while it was unreachable (by design only uploads wait for a target; the next run of the same work went through):${outageCasualties.map((c) => `\n    ${c}`).join('')}`,
        );
      report.regionTwoOutageFailures = outageCasualties.length;
      const leftovers = { staged: filesUnder(staging), failedJobs };
      const problems = convergenceProblems(observation, knowledge, leftovers);
      if (observationTwo && knowledgeTwo) {
        // staging and the queues are shared: judged once, with region one
        for (const problem of convergenceProblems(observationTwo, knowledgeTwo, {
          staged: [],
          failedJobs: [],
        }))
          problems.push(problem.replace(':', ` in ${TARGET_NAMES[1]}:`));
        const views: TargetView[] = [
          { target: TARGET_NAMES[0], observation, knowledge },
          { target: TARGET_NAMES[1], observation: observationTwo, knowledge: knowledgeTwo },
        ];
        problems.push(...targetsDisagree(views, facts));
        await newTargetEvents();
      }
      const clean = problems.length === 0 && violated === 0;
      note(
        `  ${problems.length} convergence problem(s)${problems.map((p) => `\n    ${p}`).join('')}`,
      );
      if (clean) {
        report.converged = true;
        report.convergenceDays = c;
        break;
      }
      if (c === convergenceDays)
        for (const problem of problems)
          violation('convergence', problem.split(':')[0] ?? problem, problem);
    }
    report.convergenceSeconds = Math.round((Date.now() - convergenceStart) / 1000);
    return report;
  } finally {
    const closing: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        closing.push(`${what}: ${(error as Error).message}`);
      }
    };
    if (cluster) {
      await attempt('stopping the workers', () => (cluster as Cluster).stopAll(10_000));
      report.processes = { ...cluster.counts };
      report.unexpectedExits = [...cluster.unexpectedExits];
    }
    // every soak server gone for good (force-deleted, not left soft-deleted for an hour),
    // then the volumes (those servers booted from are free only once they are gone), then
    // the snapshots shelving left in the tenants' projects
    await Promise.all(
      servers.map((server) =>
        attempt(`server ${server.id}`, () => removeServer(tenants[server.tenant], server.id)),
      ),
    );
    await Promise.all(
      volumes.map((volume) =>
        attempt(`volume ${volume.id}`, async () => {
          const client = tenants[volume.tenant];
          const settled = await waitForVolumeStatus(
            client,
            volume.id,
            ['available', 'error'],
            20_000,
          ).catch(() => undefined);
          // its server is gone, yet Cinder may keep the attachment (see resetVolumeToDetached)
          if (!settled) await resetVolumeToDetached(admin, volume.id);
          if (await deleteVolume(client, volume.id))
            await waitForVolumeGone(client, volume.id, 60_000);
        }),
      ),
    );
    await attempt('shelved snapshots', () =>
      removeLeftovers([tenants.tenant, tenants.tenant2], admin),
    );
    for (const decoy of decoys)
      await attempt(`decoy ${decoy.id}`, () => decoy.by.glance.deleteImage(decoy.id));
    if (!options.keep)
      for (const id of plan.series) {
        await attempt(`images of ${id}`, () => removeManagedImages(service, id));
        if (regionTwo)
          await attempt(`images of ${id} in region two`, () =>
            removeManagedImages(regionTwo.service, id),
          );
      }
    await attempt('events', async () => events?.quit());
    await attempt('queues', async () => runtime?.close());
    await attempt('redis', async () => redis?.stop());
    for (const [kind, proxy] of proxies) await attempt(`proxy of ${kind}`, () => proxy.close());
    if (targetProxy)
      await attempt('proxy of region two', () => (targetProxy as FaultProxy).close());
    await attempt('mirror', () => mirror.stop());
    rmSync(dir, { recursive: true, force: true });
    for (const line of closing) log(`cleanup: ${line}`);
    report.seconds = Math.round((Date.now() - t0) / 1000);
  }
}

/**
 * What an interrupted run may have left behind: its tenants' servers (soft-deleted ones too,
 * which only an admin listing shows), volumes, decoys and the snapshots shelving made.
 */
async function removeLeftovers(
  clients: readonly OpenStackClient[],
  admin?: OpenStackClient,
): Promise<void> {
  const quietly = (work: Promise<unknown>) => work.catch(() => undefined);
  const soak = (named: { name?: unknown }) =>
    typeof named.name === 'string' && named.name.startsWith('soak-');
  const projects = new Map<string, OpenStackClient>();
  for (const client of clients) projects.set(await client.projectId(), client);
  const softDeleted = admin ? await listSoftDeletedServers(admin) : [];
  for (const [project, client] of projects) {
    const mine = [
      ...(await all<Server>(client.nova.listServers())),
      ...softDeleted.filter((server) => server.tenant_id === project),
    ];
    await Promise.all(
      mine.filter(soak).map((server) => quietly(removeServer(client, server.id, 60_000))),
    );
    for (const volume of await all<Volume>(client.cinder.listVolumes()))
      if (soak(volume))
        await quietly(
          (async () => {
            if (volume.status === 'in-use' && admin) await resetVolumeToDetached(admin, volume.id);
            await deleteVolume(client, volume.id);
          })(),
        );
    for (const image of await client.glance.listAllImages({ visibility: 'all', owner: project }))
      if ('soak_decoy' in image || (soak(image) && image.name?.endsWith('-shelved')))
        await quietly(client.glance.deleteImage(image.id));
  }
}

/**
 * A job of region two's that failed for good only because region two's Glance was down
 * (its proxy answering 503 or resetting connections), longer than its retries could bear: an
 * upload that gave up after the outage allowance, or another job of that target (a janitor
 * pass, a usage check, a reconcile, a reap), which does not wait for a target as an upload
 * does. The next run of the same work covers it; whether it did is what the convergence
 * judges (the targets agree, no candidate, nothing retiring, staging empty).
 */
export function regionTwoOutageCasualty(
  data: unknown,
  failedReason: string | undefined,
  proxy: { url: string } | undefined,
): boolean {
  if (!proxy || (data as { target?: unknown } | null)?.target !== TARGET_NAMES[1]) return false;
  const reason = failedReason ?? '';
  if (reason.includes('longer than allowed (IMAGECYCLE_TARGET_OUTAGE_SECONDS)')) return true;
  return (
    reason.includes(proxy.url) &&
    /answered 50[234]|ECONNRESET|ECONNREFUSED|socket hang up/.test(reason)
  );
}

/** Takes an item out of a list (nothing when it is not there). */
function forget<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}

/** Runs the actions, each at its planned moment after now. */
async function runActions(
  actions: readonly Action[],
  act: (action: Action) => Promise<boolean | undefined>,
  report: SoakReport,
  note: (line: string) => void,
): Promise<void> {
  const begun = Date.now();
  await Promise.all(
    actions.map(async (action) => {
      await sleep(Math.max(0, begun + action.at - Date.now()));
      try {
        const done = await act(action);
        if (done !== false && (isFault(action) || action.kind === 'withdraw'))
          count(report.faults, action.kind);
      } catch (error) {
        const kind = isTenantAction(action) ? 'tenant' : 'harness';
        note(
          `  ${describeAction(action)} failed (${kind}): ${(error as Error).message.slice(0, 200)}`,
        );
        count(report.skipped, action.kind);
      }
    }),
  );
}

/** The figures of a finished run, one per line. */
/** Everything the run inflicted, each once: a withdrawal is counted as a fault and as an upstream event. */
export function injectedInAll(
  report: Pick<SoakReport, 'faults' | 'upstream' | 'tenants' | 'operator'>,
): number {
  const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  return (
    sum(report.faults) +
    sum(report.upstream) -
    (report.upstream.withdraw ?? 0) +
    sum(report.tenants) +
    sum(report.operator)
  );
}

export function formatReport(report: SoakReport): string {
  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `soak seed ${report.seed}: ${report.days} simulated day(s) of faults, series ${report.series.join(', ')}${report.targets > 1 ? `, ${report.targets} targets` : ''}`,
    `  steps                ${report.steps}`,
    `  faults               ${Object.values(report.faults).reduce((a, b) => a + b, 0)}: ${list(report.faults)}`,
    `  skipped              ${list(report.skipped)}`,
    `  upstream             ${list(report.upstream)}`,
    `  tenants              ${list(report.tenants)}`,
    `  operator             ${list(report.operator)}`,
    `  injected in all      ${injectedInAll(report)} (faults, upstream events, tenant and operator actions; a withdrawal, both a fault and an upstream event, once)`,
    `  clock restarts       ${report.clockRestarts} (rolling restarts that move the simulated day, not counted above)`,
    `  processes            ${report.processes.started} started, ${report.processes.killed} SIGKILLed, ${report.processes.failpointsFired} died at a failpoint, ${report.processes.failpointErrors} job attempt(s) failed at one, ${report.processes.drained} drained`,
    `  managed images       ${report.glance.appeared} appeared, ${report.glance.went} went (as Glance showed them at the checks${report.targets > 1 ? ', every target' : ''})`,
    ...(report.targets > 1
      ? [
          `  target events        ${list(
            Object.fromEntries(
              Object.entries(report.targetEvents).filter(([key]) =>
                /^(uploaded|gave-up|targets-disagree|repaired|reaped) /.test(key),
              ),
            ),
          )}`,
          `  region two outages   ${report.regionTwoOutageFailures} job(s) of region two failed for good while it was down (not convergence problems: the next run covered them)`,
        ]
      : []),
    `  invariant checks     ${report.checkRounds} rounds, ${report.checks} judgements`,
    `  violations           ${report.violations.length} distinct, ${report.violations.reduce((a, v) => a + v.occurrences, 0)} seen`,
    `  worker exits         ${report.unexpectedExits.length} not caused by the soak`,
    `  convergence          ${report.converged ? `${report.convergenceDays} simulated day(s), ${report.convergenceSeconds} s` : `not reached (${report.convergenceSeconds} s)`}`,
    `  wall time            ${report.seconds} s`,
  ];
  for (const v of report.violations) {
    lines.push(
      `  - [${v.kind}] ${v.subject} (first at ${v.firstSeen}, last at ${v.lastSeen}, seen ${v.occurrences}x): ${v.detail}`,
    );
    for (const later of v.later) lines.push(`      then at ${later.at}: ${later.detail}`);
  }
  for (const exit of report.unexpectedExits)
    lines.push(
      `  - worker ${exit.worker} exited (code ${exit.code}, signal ${exit.signal}): ${exit.stderrTail.split('\n').at(-2) ?? ''}`,
    );
  return lines.join('\n');
}
