// The soak's scenario, decided entirely by the seed before anything runs: for every step of
// every simulated day, what upstream publishes, what tenants and operators do, and which
// faults strike when. Pure (seed in, plan out), so `--replay <seed>` inflicts the same
// history again and a unit test can hold it to that. Choices that depend on what exists
// at the time ("boot some community image") carry a fraction the run maps onto what it finds.
import type { Failpoint, FailpointMode } from '@imagecycle/failpoints';
import type { WorkerName } from '@imagecycle/composition';
import type { OutageAnswer } from '../support/fault-proxy.ts';
import { createRng, normalizeSeed, type Rng } from './prng.ts';

/** What a series of the mirror supports besides plain new releases. */
export interface SeriesTraits {
  /** The upstream signs its checksums: a forged signature is a fault worth inflicting. */
  signed: boolean;
  /** The upstream republishes a day under a new serial (Ubuntu's `YYYYMMDD.1`). */
  respin: boolean;
  /** The mirror can take a release back (mirror.withdraw). */
  withdraw: boolean;
  /**
   * Its candidates are smoke-tested (the soak's catalogue keeps the smoke test for these only),
   * and the upstream can publish a build whose guest never boots (the in-house Windows builds).
   */
  smokeTested?: boolean;
}

export const SERIES_TRAITS: Readonly<Record<string, SeriesTraits>> = {
  'ubuntu-24.04': { signed: true, respin: true, withdraw: true },
  'ubuntu-22.04': { signed: true, respin: true, withdraw: true },
  'debian-12': { signed: false, respin: false, withdraw: true },
  'debian-11': { signed: false, respin: false, withdraw: true },
  'flatcar-stable': { signed: true, respin: false, withdraw: false },
  'windows-2019-core': { signed: true, respin: true, withdraw: false, smokeTested: true },
};

export const DEFAULT_SERIES = ['ubuntu-24.04', 'debian-12', 'flatcar-stable'];

/** Processes per stage: several downloaders, uploaders and renamers compete for jobs. */
export const DEFAULT_REPLICAS: Readonly<Record<WorkerName, number>> = {
  'feed-watcher': 1,
  downloader: 2,
  uploader: 2,
  renamer: 2,
  'usage-checker': 1,
  reaper: 1,
  janitor: 1,
};

/** The stage whose code declares each failpoint: its replicas are the ones armed with it. */
export const FAILPOINT_STAGE: Readonly<Record<Failpoint, WorkerName>> = {
  'downloader:mid-download': 'downloader',
  'downloader:after-last-byte': 'downloader',
  'uploader:mid-upload': 'uploader',
  'renamer:after-promote': 'renamer',
  'reaper:after-deactivate': 'reaper',
};

export interface WorkerRef {
  stage: WorkerName;
  replica: number;
}

export type UpstreamEvent =
  | { kind: 'release'; series: string }
  | { kind: 'respin'; series: string }
  /** A new release whose image bytes are corrupted on the mirror for as long as it exists. */
  | { kind: 'corrupt-bytes'; series: string }
  /** A new release whose checksum signature is forged (another key) for as long as it exists. */
  | { kind: 'forged-signature'; series: string }
  /**
   * A new build whose guest never boots (smoke-tested series): its smoke test fails. While its
   * candidate is in that smoke test, a reconcile of the series arrives (a retried reconcile,
   * another upload finishing): the candidate must not be promoted.
   */
  | { kind: 'unbootable'; series: string };

/** Upstream takes its newest release back while the pipeline may be fetching it: gone from the feed, its files 404. */
export interface Withdrawal {
  kind: 'withdraw';
  series: string;
}

export type Fault =
  | { kind: 'sigkill'; worker: WorkerRef }
  /**
   * Before the step's triggers, every replica of the point's stage restarts with
   * IMAGECYCLE_FAILPOINTS=<point>: the first to get there dies, and the stage is down until
   * the step's end brings it back (a crash loop that a rollout ends). With mode `error`
   * (IMAGECYCLE_FAILPOINTS=<point>=error) none dies: every attempt that gets there fails, until
   * the pipeline is at rest - its jobs run out of attempts, as against an error that outlasts
   * their retries.
   */
  | { kind: 'failpoint'; point: Failpoint; mode?: FailpointMode }
  /** The newest release of the series trickles from the mirror: downloads take seconds. */
  | { kind: 'mirror-slow'; series: string }
  /** SIGTERM: the worker drains within its (short) IMAGECYCLE_DRAIN_SECONDS, then comes back. */
  | { kind: 'sigterm'; worker: WorkerRef }
  | { kind: 'restart'; worker: WorkerRef }
  | { kind: 'redis-restart'; downMs: number }
  /** Glance, Nova or Cinder behind the fault proxy: 503 or 500 to every request, or the connection reset. */
  | { kind: ApiOutageKind; ms: number; answer: OutageAnswer }
  | { kind: 'mirror-5xx'; series: string; times: number }
  | { kind: 'mirror-cut'; series: string }
  /**
   * Two targets only: the second target's Glance (region two, behind a fault proxy of its
   * own) unreachable for `ms` - a 503 from its gateway or the connection reset, what an
   * upload waits for. `beyond`: longer than the soak's outage allowance
   * (TARGET_OUTAGE_ALLOWANCE_MS), so an upload waiting for it gives up and a later feed check
   * downloads the release again for it; otherwise shorter, and the upload just waits.
   */
  | TargetOutage;

export interface TargetOutage {
  kind: 'target-outage';
  target: string;
  ms: number;
  answer: Exclude<OutageAnswer, '500'>;
  beyond: boolean;
}

/** The targets of a two-target soak: region one as a single-target soak has it, and region two. */
export const TARGET_NAMES = ['region-one', 'region-two'] as const;
/**
 * How long a two-target soak lets an upload wait for an unreachable target
 * (IMAGECYCLE_TARGET_OUTAGE_SECONDS) before it gives up.
 */
export const TARGET_OUTAGE_ALLOWANCE_MS = 20_000;
/** A short outage ends well within the allowance, even counted from the step's start. */
export const SHORT_TARGET_OUTAGE_MS = [4_000, 12_000] as const;
/**
 * A long one outlasts the allowance counted from the first failed upload, which comes a
 * download (a few seconds) after the outage began.
 */
export const LONG_TARGET_OUTAGE_MS = [
  TARGET_OUTAGE_ALLOWANCE_MS + 15_000,
  TARGET_OUTAGE_ALLOWANCE_MS + 25_000,
] as const;

/** The services the workers reach through a fault proxy of their own. */
export const API_OUTAGES = {
  'glance-outage': 'image',
  'nova-outage': 'compute',
  'cinder-outage': 'block-storage',
} as const;
export type ApiOutageKind = keyof typeof API_OUTAGES;

/** What a tenant does to one of its servers, and the statuses the server must be in for it. */
export const SERVER_ACTIONS = {
  /** `{"os-stop": null}`: SHUTOFF */
  stop: ['ACTIVE'],
  /** `{"os-start": null}` */
  start: ['SHUTOFF'],
  /** `{"shelve": null}`: SHELVED_OFFLOADED (shelved_offload_time 0), a snapshot of the tenant's left in Glance */
  shelve: ['ACTIVE', 'SHUTOFF'],
  unshelve: ['SHELVED_OFFLOADED', 'SHELVED'],
  /** `{"rescue": null}`: RESCUE, booted from the server's own image */
  rescue: ['ACTIVE', 'SHUTOFF'],
  unrescue: ['RESCUE'],
  /** `{"restore": null}`: a soft-deleted server comes back */
  restore: ['SOFT_DELETED'],
  /** `{"forceDelete": null}`: a soft-deleted server goes for good */
  'force-delete': ['SOFT_DELETED'],
} as const satisfies Record<string, readonly string[]>;
export type ServerActionKind = keyof typeof SERVER_ACTIONS;

export type TenantAction =
  /** Looks `<Title> - Latest` up by name, as `openstack server create --image` does. */
  | { kind: 'boot-by-name'; series: string; tenant: TenantName }
  /** Boots one of the series' managed images by UUID (`pick` chooses among them). */
  | { kind: 'boot-by-uuid'; series: string; tenant: TenantName; pick: number }
  | { kind: 'volume-from-image'; series: string; tenant: TenantName; pick: number; byName: boolean }
  /** A volume made from an image (by name or `pick`), then a server booted from it (block_device_mapping_v2). */
  | { kind: 'boot-from-volume'; series: string; tenant: TenantName; pick: number; byName: boolean }
  /** DELETE: the local cloud soft-deletes for an hour (reclaim_instance_interval), SOFT_DELETED and restorable. */
  | { kind: 'delete-server'; pick: number }
  /**
   * Tenants are done with a community image of the series past the retention floor (not its
   * newest community image): every soak server and volume from it goes for good but one
   * server (booted by UUID if there is none), which is deleted too - soft-deleted, restorable
   * for an hour, the image's only user.
   */
  | { kind: 'abandon-pinned'; series: string; tenant: TenantName; pick: number }
  /** One of the soak's servers in a status the action accepts (`pick` chooses among them). */
  | { kind: ServerActionKind; pick: number }
  | { kind: 'delete-volume'; pick: number }
  /**
   * Before the lifecycle step's usage check, the tenants move off the oldest managed image their
   * servers or volumes were made from (a Latest never): those servers, soft-deleted ones too,
   * and volumes go for good, and the image is left to the usage check and the reaper.
   */
  | { kind: 'abandon-oldest' };

/**
 * What a hand edit or another tool leaves in a date property: empty, words, a day that does
 * not exist, a local time without its offset, a day-first date, what V8 would still read.
 */
export const UNREADABLE_DATES = [
  '',
  'yesterday',
  '2026-02-30',
  '2026-11-03T06:00:00',
  '03.11.2026',
  'foo 2',
] as const;

export type OperatorAction =
  | { kind: 'deactivate-latest'; series: string }
  /**
   * Before the step's usage check, an unreadable `imagecycle_unused_since` is written onto one
   * of the community images a reap could take (not the newest, which the floor keeps).
   */
  | { kind: 'unreadable-date'; pick: number; value: (typeof UNREADABLE_DATES)[number] }
  /** Reactivates one image the operator deactivated earlier. */
  | { kind: 'reactivate'; pick: number }
  /** The catalogue marks the series retired; every worker restarts, one after the other. */
  | { kind: 'retire-series'; series: string }
  /** The same runs triggered twice at once (a scheduler and an operator, two operators). */
  | { kind: 'concurrent-triggers' };

export type TenantName = 'tenant' | 'tenant2';

/** Anything that happens at `at` ms after the step's triggers. */
export type Action = (Fault | Withdrawal | TenantAction | OperatorAction) & { at: number };

export type Phase = 'feed' | 'lifecycle';

export interface StepPlan {
  /** 1-based, over the whole run. */
  step: number;
  day: number;
  /** feed: upstream publishes, the feed checks run (04:00). lifecycle: the janitor and the usage check (05:00, 06:00). */
  phase: Phase;
  upstream: UpstreamEvent[];
  actions: Action[];
  /** IMAGECYCLE_DRAIN_SECONDS of every worker this step starts. */
  drainSeconds: number;
}

export interface SoakPlan {
  seed: number;
  days: number;
  series: string[];
  /** 1: the default target only; 2: region one and region two (TARGET_NAMES). */
  targets: number;
  replicas: Readonly<Record<WorkerName, number>>;
  steps: StepPlan[];
}

export interface PlanOptions {
  seed: number;
  days: number;
  series?: readonly string[];
  replicas?: Readonly<Record<WorkerName, number>>;
  /** 1 (default) or 2: see SoakPlan.targets. */
  targets?: number;
}

export const FAULT_KINDS = [
  'sigkill',
  'failpoint',
  'sigterm',
  'restart',
  'redis-restart',
  'glance-outage',
  'nova-outage',
  'cinder-outage',
  'mirror-5xx',
  'mirror-cut',
  'mirror-slow',
  'target-outage',
] as const satisfies readonly Fault['kind'][];

export const TENANT_KINDS = [
  'boot-by-name',
  'boot-by-uuid',
  'volume-from-image',
  'boot-from-volume',
  'delete-server',
  'abandon-pinned',
  'delete-volume',
  'abandon-oldest',
  ...(Object.keys(SERVER_ACTIONS) as ServerActionKind[]),
] as const satisfies readonly TenantAction['kind'][];

export const isServerAction = (action: { kind: string }): action is { kind: ServerActionKind } =>
  action.kind in SERVER_ACTIONS;
export const isApiOutage = (action: { kind: string }): action is { kind: ApiOutageKind } =>
  action.kind in API_OUTAGES;

export const isFault = (action: Action): action is Fault & { at: number } =>
  (FAULT_KINDS as readonly string[]).includes(action.kind);
export const isTenantAction = (action: Action): action is TenantAction & { at: number } =>
  (TENANT_KINDS as readonly string[]).includes(action.kind);

function workerRef(rng: Rng, replicas: Readonly<Record<WorkerName, number>>): WorkerRef {
  const stage = rng.weighted<WorkerName>([
    ['feed-watcher', 1],
    ['downloader', 2],
    ['uploader', 2],
    ['renamer', 2],
    ['usage-checker', 1],
    ['reaper', 1.5],
    ['janitor', 1],
  ]);
  return { stage, replica: rng.int(0, replicas[stage] - 1) };
}

/** The points the work of each phase passes. */
const PHASE_FAILPOINTS: Readonly<Record<Phase, readonly Failpoint[]>> = {
  feed: [
    'downloader:mid-download',
    'downloader:after-last-byte',
    'uploader:mid-upload',
    'renamer:after-promote',
  ],
  lifecycle: ['reaper:after-deactivate', 'renamer:after-promote'],
};

function fault(
  rng: Rng,
  phase: Phase,
  series: readonly string[],
  replicas: Readonly<Record<WorkerName, number>>,
): Fault {
  const kind = rng.weighted<Exclude<Fault['kind'], 'target-outage'>>([
    ['sigkill', 3],
    ['failpoint', 3],
    ['sigterm', 2],
    ['restart', 1],
    ['redis-restart', 1],
    ['glance-outage', 1.5],
    ['nova-outage', 1],
    ['cinder-outage', 1],
    ['mirror-5xx', 1.5],
    ['mirror-cut', 1.5],
    ['mirror-slow', 1.5],
  ]);
  switch (kind) {
    case 'sigkill':
    case 'sigterm':
    case 'restart':
      return { kind, worker: workerRef(rng, replicas) };
    case 'failpoint':
      return { kind, point: rng.pick(PHASE_FAILPOINTS[phase]) };
    case 'redis-restart':
      return { kind, downMs: rng.int(300, 2500) };
    case 'glance-outage':
    case 'nova-outage':
    case 'cinder-outage':
      return {
        kind,
        ms: rng.int(2000, 8000),
        answer: rng.weighted<OutageAnswer>([
          ['503', 2],
          ['500', 1],
          ['reset', 1],
        ]),
      };
    case 'mirror-5xx':
      return { kind, series: rng.pick(series), times: rng.int(1, 3) };
    case 'mirror-cut':
    case 'mirror-slow':
      return { kind, series: rng.pick(series) };
  }
}

function tenantAction(rng: Rng, series: readonly string[]): TenantAction {
  // abandon-oldest comes from the step's generator of reaps (planSoak)
  const kind = rng.weighted<Exclude<TenantAction['kind'], 'abandon-oldest'>>([
    ['boot-by-name', 3],
    ['boot-by-uuid', 2],
    ['volume-from-image', 1.5],
    ['boot-from-volume', 1.5],
    ['delete-server', 2],
    ['abandon-pinned', 1.5],
    ['delete-volume', 1],
    ['stop', 0.5],
    ['start', 0.3],
    ['shelve', 1],
    ['unshelve', 0.5],
    ['rescue', 0.5],
    ['unrescue', 0.3],
    ['restore', 1],
    ['force-delete', 0.7],
  ]);
  const tenant = rng.pick<TenantName>(['tenant', 'tenant2']);
  switch (kind) {
    case 'boot-by-name':
      return { kind, series: rng.pick(series), tenant };
    case 'boot-by-uuid':
    case 'abandon-pinned':
      return { kind, series: rng.pick(series), tenant, pick: rng.next() };
    case 'volume-from-image':
    case 'boot-from-volume':
      return {
        kind,
        series: rng.pick(series),
        tenant,
        pick: rng.next(),
        byName: rng.chance(0.5),
      };
    default:
      return { kind, pick: rng.next() };
  }
}

function upstreamEvents(rng: Rng, series: readonly string[]): UpstreamEvent[] {
  const events: UpstreamEvent[] = [];
  for (const id of series) {
    const traits = SERIES_TRAITS[id] ?? { signed: false, respin: false, withdraw: false };
    if (rng.chance(0.7)) events.push({ kind: 'release', series: id });
    if (traits.respin && rng.chance(0.2)) events.push({ kind: 'respin', series: id });
    if (rng.chance(0.12)) events.push({ kind: 'corrupt-bytes', series: id });
    if (traits.signed && rng.chance(0.12)) events.push({ kind: 'forged-signature', series: id });
    if (traits.smokeTested && rng.chance(0.3)) events.push({ kind: 'unbootable', series: id });
  }
  return events;
}

const byTime = (a: Action, b: Action) => a.at - b.at;

/**
 * Faults that lie in wait for the step's work, and what the step's usage check is to find:
 * in place before its triggers.
 */
export const armsBeforeTriggers = (action: { kind: string }) =>
  action.kind === 'failpoint' ||
  action.kind === 'mirror-slow' ||
  action.kind === 'unreadable-date' ||
  action.kind === 'abandon-oldest' ||
  action.kind === 'target-outage';

/**
 * The outage of region two's Glance a step of a two-target soak has, if any, from a generator
 * of its own (a single-target plan of the same seed stays what it was): day 1's feed step a
 * long one (every series' first release is uploaded then: an upload gives up, and the next
 * feed check downloads it again for region two), day 2's feed step a short one (an upload
 * waits, then goes on); later feed steps one of either or none, and from day 2 a lifecycle
 * step now and then a short one (its usage check, reaps and reconciles in region two).
 */
export function targetOutage(
  seed: number,
  day: number,
  phase: Phase,
): Omit<TargetOutage, 'at'> | undefined {
  const rng = createRng(normalizeSeed(seed)).fork(`day ${day} ${phase} target outage`);
  let beyond: boolean;
  if (phase === 'feed' && day === 1) beyond = true;
  else if (phase === 'feed' && day === 2) beyond = false;
  else if (phase === 'feed') {
    if (!rng.chance(0.6)) return undefined;
    beyond = rng.chance(0.5);
  } else {
    if (day === 1 || !rng.chance(0.3)) return undefined;
    beyond = false;
  }
  const [min, max] = beyond ? LONG_TARGET_OUTAGE_MS : SHORT_TARGET_OUTAGE_MS;
  return {
    kind: 'target-outage',
    target: TARGET_NAMES[1],
    ms: rng.int(min, max),
    answer: rng.pick(['503', 'reset'] as const),
    beyond,
  };
}

/** The whole chaos phase of a run. Convergence days that follow have no plan: nothing strikes. */
export function planSoak(options: PlanOptions): SoakPlan {
  const seed = normalizeSeed(options.seed);
  const series = [...(options.series ?? DEFAULT_SERIES)];
  const replicas = options.replicas ?? DEFAULT_REPLICAS;
  const targets = options.targets ?? 1;
  if (!Number.isInteger(options.days) || options.days < 1)
    throw new Error(`days must be a positive integer, not ${options.days}`);
  if (targets !== 1 && targets !== 2)
    throw new Error(`targets must be 1 or 2 (region one, and region two), not ${targets}`);
  if (series.length === 0) throw new Error('the soak needs at least one series');
  for (const id of series)
    if (!SERIES_TRAITS[id])
      throw new Error(
        `series ${id} has no soak traits; known: ${Object.keys(SERIES_TRAITS).join(', ')}`,
      );
    else if (targets === 2 && SERIES_TRAITS[id]?.smokeTested)
      // region two's Nova boots from region one's Glance: it cannot boot a region-two candidate
      throw new Error(
        `series ${id} is smoke-tested, which a two-target soak cannot do in region two (its Nova boots from region one's Glance); choose other series`,
      );
  const root = createRng(seed);
  // At most one retirement, on a day after the first, never of the only series. The length of
  // the run changes only its day: every day's plan is its own generator's, so `--days 4`
  // replays the first four days of a longer run.
  const retire = root.fork('retire');
  const retireDay =
    options.days >= 2 && series.length >= 2 && retire.chance(0.6)
      ? retire.int(2, options.days)
      : undefined;
  const retired = retireDay === undefined ? undefined : retire.pick(series);
  // drawn here, not from the day's generator: the rest of that day does not depend on it
  const retireAt = retire.int(0, 5000);

  const steps: StepPlan[] = [];
  for (let day = 1; day <= options.days; day++) {
    for (const phase of ['feed', 'lifecycle'] as const) {
      const rng = root.fork(`day ${day} ${phase}`);
      const actions: Action[] = [];
      const at = () => rng.int(0, 5000);
      for (let n = rng.int(2, 6); n > 0; n--) {
        const f = fault(rng, phase, series, replicas);
        actions.push({ ...f, at: armsBeforeTriggers(f) ? 0 : at() });
      }
      for (let n = rng.int(1, 3); n > 0; n--)
        actions.push({ ...tenantAction(rng, series), at: at() });
      if (rng.chance(0.35)) actions.push({ kind: 'concurrent-triggers', at: at() });
      if (phase === 'feed' && day > 1)
        for (const id of series)
          if (SERIES_TRAITS[id]?.withdraw && rng.chance(0.12))
            actions.push({ kind: 'withdraw', series: id, at: at() });
      // Reaps, from a generator of their own (so every draw above stays what it was), before
      // the lifecycle step's usage check: from day 2, tenants leaving an older image, which a
      // usage check hands to the reaper a grace day later; from day 3 (the first day an image
      // demoted on day 2 can be past its grace day), every reaper failing each reap right
      // after deactivating, so that the job fails for good and leaves its image retiring for
      // the janitor.
      if (phase === 'lifecycle' && day > 1) {
        const reaps = root.fork(`day ${day} reaps`);
        if (reaps.chance(0.5)) actions.push({ kind: 'abandon-oldest', at: 0 });
        if (day > 2 && reaps.chance(0.5))
          actions.push({
            kind: 'failpoint',
            point: 'reaper:after-deactivate',
            mode: 'error',
            at: 0,
          });
      }
      if (phase === 'lifecycle') {
        if (rng.chance(0.25))
          actions.push({ kind: 'deactivate-latest', series: rng.pick(series), at: at() });
        if (rng.chance(0.2)) actions.push({ kind: 'reactivate', pick: rng.next(), at: at() });
        if (rng.chance(0.3))
          actions.push({
            kind: 'unreadable-date',
            pick: rng.next(),
            value: rng.pick(UNREADABLE_DATES),
            at: 0,
          });
        if (day === retireDay && retired !== undefined)
          actions.push({ kind: 'retire-series', series: retired, at: retireAt });
      }
      if (targets === 2) {
        const outage = targetOutage(seed, day, phase);
        if (outage) actions.push({ ...outage, at: 0 });
      }
      steps.push({
        step: steps.length + 1,
        day,
        phase,
        upstream: phase === 'feed' && day > 1 ? upstreamEvents(rng, series) : [],
        actions: actions.sort(byTime),
        drainSeconds: rng.int(0, 3),
      });
    }
  }
  return { seed, days: options.days, series, targets, replicas, steps };
}

/** One line for a fault history: `step 3 (day 2 feed) +1200ms sigkill downloader#1`. */
export function describeAction(action: Action | UpstreamEvent): string {
  const time = 'at' in action ? `+${action.at}ms ` : '';
  switch (action.kind) {
    case 'sigkill':
    case 'sigterm':
    case 'restart':
      return `${time}${action.kind} ${action.worker.stage}#${action.worker.replica}`;
    case 'failpoint':
      return action.mode === 'error'
        ? `${time}failpoint ${action.point}=error (every ${FAILPOINT_STAGE[action.point]}: each attempt fails there until the pipeline is at rest)`
        : `${time}failpoint ${action.point} (every ${FAILPOINT_STAGE[action.point]})`;
    case 'redis-restart':
      return `${time}redis-restart (down ${action.downMs} ms)`;
    case 'glance-outage':
    case 'nova-outage':
    case 'cinder-outage':
      return `${time}${action.kind} ${action.ms} ms (${action.answer === 'reset' ? 'connections reset' : action.answer})`;
    case 'mirror-5xx':
      return `${time}mirror-5xx ${action.series} x${action.times}`;
    case 'target-outage':
      return `${time}target-outage ${action.target} ${action.ms} ms (${action.answer === 'reset' ? 'connections reset' : action.answer}; ${action.beyond ? 'longer' : 'shorter'} than the ${TARGET_OUTAGE_ALLOWANCE_MS} ms allowed)`;
    case 'boot-by-name':
      return `${time}boot-by-name ${action.series} (${action.tenant})`;
    case 'boot-by-uuid':
    case 'abandon-pinned':
      return `${time}${action.kind} ${action.series} pick ${action.pick.toFixed(3)} (${action.tenant})`;
    case 'volume-from-image':
    case 'boot-from-volume':
      return `${time}${action.kind} ${action.series} ${action.byName ? 'by name' : `pick ${action.pick.toFixed(3)}`} (${action.tenant})`;
    case 'delete-server':
    case 'delete-volume':
    case 'reactivate':
    case 'stop':
    case 'start':
    case 'shelve':
    case 'unshelve':
    case 'rescue':
    case 'unrescue':
    case 'restore':
    case 'force-delete':
      return `${time}${action.kind} pick ${action.pick.toFixed(3)}`;
    case 'concurrent-triggers':
    case 'abandon-oldest':
      return `${time}${action.kind}`;
    case 'unreadable-date':
      return `${time}unreadable-date ${JSON.stringify(action.value)} pick ${action.pick.toFixed(3)}`;
    default:
      return `${time}${action.kind} ${action.series}`;
  }
}
