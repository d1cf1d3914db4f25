// One process's composition: from the settings, the catalogue, the cloud, Redis, the queues
// and every stage's handler. Workers are started only for the queues the run mode consumes;
// any process may enqueue. `stop` drains within the deadline (SIGTERM in Kubernetes).
import {
  allQueues,
  DEFAULT_TARGET,
  feedCheckQueue,
  janitorQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import {
  CheckRecords,
  Events,
  PublishedRecords,
  SmokeTestRecords,
  StagingDeliveries,
  TargetOutages,
  targetKey,
  UsageCheckRecords,
} from '@imagecycle/events';
import {
  DocumentFetcher,
  FeedWatcher,
  RedisDocumentCache,
  RedisSignedSeries,
  syncFeedSchedules,
} from '@imagecycle/feed-watcher';
import { createMetrics, type Logger, type Metrics } from '@imagecycle/observability';
import { CloudConfigError, type OpenStackClient } from '@imagecycle/openstack';
import { type CloseResult, type QueueDefinition, QueueRuntime, Slots } from '@imagecycle/queues';
import {
  type Disagreement,
  disagreementText,
  publishedEverywhere,
  targetsDisagreement,
} from '@imagecycle/lifecycle';
import { type Catalogue, loadCatalogue, type Target } from '@imagecycle/series-catalogue';
import type { SmokeTester } from '@imagecycle/uploader';
import { CLOUD_SETTING, CloudAccounts, type CloudRole, cloudRolesOf } from './clouds.ts';
import { connectRedis, describeRedis, type RedisClient } from './redis-connection.ts';
import { type StageTarget, stageHandlers } from './stages.ts';
import type { Settings } from './settings.ts';

export interface AppOptions {
  settings: Settings;
  logger: Logger;
  /** Overrides the clock of usage checks and reaps (the demo moves days in-process). */
  now?: () => Date;
  metrics?: Metrics;
  /** Where the catalogue's ${VARS} and the cloud's OS_* come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Log Redis going away and coming back (default true). A one-shot command turns it off:
   * it checks Redis itself and says so in one line.
   */
  logRedisOutages?: boolean;
}

/**
 * How often the clock moves due delayed jobs to `wait`: a retry or a schedule may start up
 * to this much after its time (plus the autoscaler's polling when its workers are at zero).
 */
export const CLOCK_INTERVAL_MS = 5000;

/** Redis did not answer a PING in time: `message` names where it is (never a password). */
export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
}

export class App {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly catalogue: Catalogue;
  /** The cloud accounts (publish, usage), each built when first used. */
  readonly clouds: CloudAccounts;
  readonly redis: RedisClient;
  readonly runtime: QueueRuntime;
  readonly events: Events;
  /** Each series' last feed check and its outcome. */
  readonly checks: CheckRecords;
  /** Each series' last smoke test in the first target: passed or failed, and how long it took. */
  readonly smokeTests: SmokeTestRecords;
  /** Each series' last usage check in the first target and what it found. */
  readonly usageChecks: UsageCheckRecords;
  /**
   * What each series has published in the first target (the renamer and the janitor write
   * it, the feed-watcher reads every target's).
   */
  readonly published: PublishedRecords;
  /** Which targets are done with each staged release. */
  readonly deliveries: StagingDeliveries;
  readonly metrics: Metrics;
  readonly #now: () => Date;
  readonly #fetcher: DocumentFetcher;
  /** The project's id, per set of accounts asked, once Keystone has answered. */
  readonly #owners = new Map<string, Promise<string>>();
  #watcher: FeedWatcher | undefined;

  private constructor(
    fields: Omit<
      App,
      | 'start'
      | 'stop'
      | 'cloud'
      | 'syncSchedules'
      | 'startClock'
      | 'now'
      | 'owner'
      | 'watcher'
      | 'waitForCloud'
      | 'requireRedis'
      | 'targets'
      | 'recordsOf'
      | 'disagreements'
      | 'checkTargetsAgree'
    >,
    now: () => Date,
    fetcher: DocumentFetcher,
  ) {
    this.settings = fields.settings;
    this.logger = fields.logger;
    this.catalogue = fields.catalogue;
    this.clouds = fields.clouds;
    this.redis = fields.redis;
    this.runtime = fields.runtime;
    this.events = fields.events;
    this.checks = fields.checks;
    this.smokeTests = fields.smokeTests;
    this.usageChecks = fields.usageChecks;
    this.published = fields.published;
    this.deliveries = fields.deliveries;
    this.metrics = fields.metrics;
    this.#now = now;
    this.#fetcher = fetcher;
  }

  /**
   * Reads the catalogue and the cloud's configuration and connects to Redis. Neither Redis
   * nor Keystone has to answer yet: a command that needs one says so when it asks
   * (`requireRedis`, `owner`), and a long-running process serves /readyz meanwhile.
   */
  static async create(options: AppOptions): Promise<App> {
    const { settings, logger } = options;
    const env = options.env ?? process.env;
    const catalogue = await loadCatalogue(settings.IMAGECYCLE_CATALOGUE, { vars: env });
    // no clouds.yaml is read here: a process whose stages use no cloud never reads one
    const clouds = new CloudAccounts(settings, logger, env);
    const { client: redis, queueConnection } = connectRedis(settings);
    // A listener is what keeps ioredis from printing each failed reconnect with its stack.
    let down = false;
    const logOutages = options.logRedisOutages ?? true;
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      if (logOutages)
        logger.warn(
          { redis: describeRedis(settings), err: error.message },
          'Redis unreachable; retrying',
        );
    });
    redis.on('ready', () => {
      if (!down) return;
      down = false;
      if (logOutages) logger.info({ redis: describeRedis(settings) }, 'Redis reachable again');
    });
    const lockMs = settings.IMAGECYCLE_JOB_LOCK_SECONDS * 1000;
    const metrics = options.metrics ?? createMetrics();
    const runtime = new QueueRuntime({
      connection: queueConnection,
      prefix: settings.IMAGECYCLE_QUEUE_PREFIX,
      queues: allQueues,
      logger,
      worker: { lockDurationMs: lockMs, stalledIntervalMs: lockMs },
      observer: {
        attemptFinished: ({ queue, result, seconds, final }) => {
          metrics.jobDuration.observe({ queue, result }, seconds);
          if (final) metrics.jobFailures.inc({ queue });
        },
      },
      retryDelayMs:
        settings.IMAGECYCLE_RETRY_DELAY_SECONDS === undefined
          ? undefined
          : settings.IMAGECYCLE_RETRY_DELAY_SECONDS * 1000,
    });
    const fakeNow = settings.IMAGECYCLE_FAKE_NOW;
    if (fakeNow)
      logger.warn(
        { now: fakeNow },
        'IMAGECYCLE_FAKE_NOW: usage checks and reaps use a fixed clock',
      );
    const now = options.now ?? (fakeNow ? () => new Date(fakeNow) : () => new Date());
    const events = new Events({
      redis,
      logger,
      stream: `${settings.IMAGECYCLE_QUEUE_PREFIX}:events`,
      webhookUrl: settings.IMAGECYCLE_EVENTS_WEBHOOK,
    });
    const checks = new CheckRecords(redis, `${settings.IMAGECYCLE_QUEUE_PREFIX}:checks`);
    const first = recordsIn(redis, settings.IMAGECYCLE_QUEUE_PREFIX, catalogue.targets[0]?.name);
    const { smokeTests, usageChecks, published } = first;
    const deliveries = new StagingDeliveries(
      redis,
      `${settings.IMAGECYCLE_QUEUE_PREFIX}:deliveries`,
    );
    const fetcher = new DocumentFetcher({
      cache: new RedisDocumentCache(redis, {
        prefix: `${settings.IMAGECYCLE_QUEUE_PREFIX}:feed-cache:`,
      }),
      verifyTls: !settings.IMAGECYCLE_INSECURE_FEEDS,
    });
    return new App(
      {
        settings,
        logger,
        catalogue,
        clouds,
        redis,
        runtime,
        events,
        checks,
        smokeTests,
        usageChecks,
        published,
        deliveries,
        metrics,
      },
      now,
      fetcher,
    );
  }

  /**
   * Fails with a RedisUnreachableError, naming where Redis is, unless it answers a PING
   * within `timeoutMs` (the client itself waits for Redis for ever).
   */
  async requireRedis(timeoutMs: number): Promise<void> {
    let lastError = '';
    const onError = (error: Error) => (lastError = error.message);
    this.redis.on('error', onError);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new RedisUnreachableError(
                  `${describeRedis(this.settings)} unreachable: ${lastError || `no answer in ${timeoutMs / 1000} s`}`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.redis.off('error', onError);
    }
  }

  /**
   * The read-only (usage) account: the operator's read models, the control plane's and the
   * feed-watcher's look at Glance. Reads clouds.yaml the first time.
   */
  get cloud(): OpenStackClient {
    return this.clouds.get('usage');
  }

  /**
   * The service project, owner of the managed images: the project the given accounts are
   * scoped to (the usage account's by default). Asks Keystone the first time; accounts scoped
   * to different projects are a CloudConfigError naming both settings.
   */
  owner(roles: readonly CloudRole[] = ['usage'], target?: Target): Promise<string> {
    const key = `${[...roles].sort().join(',')}\n${target?.name ?? ''}`;
    let owner = this.#owners.get(key);
    if (!owner) {
      owner = (async () => {
        const scoped = await Promise.all(
          roles.map(async (role) => ({
            role,
            project: await this.clouds.get(role, target).projectId(),
          })),
        );
        const [first, ...others] = scoped;
        if (!first) throw new Error('owner: no cloud account named');
        const where = target ? ` (target "${target.name}")` : '';
        for (const other of others)
          if (other.project !== first.project)
            throw new CloudConfigError(
              `${CLOUD_SETTING[first.role]}${where} is scoped to project ${first.project} and ${CLOUD_SETTING[other.role]} to ${other.project}: both accounts must be scoped to the project that owns the images`,
            );
        return first.project;
      })();
      this.#owners.set(key, owner);
      // a failure is not remembered: the next call asks Keystone again
      owner.catch(() => this.#owners.delete(key));
    }
    return owner;
  }

  /** Where the catalogue publishes: its targets, or the one `default` target. */
  get targets(): readonly Target[] {
    return this.catalogue.targets;
  }

  /** The records one target's stages keep (the default target's keys are the unsuffixed ones). */
  recordsOf(target: string): TargetRecords {
    return recordsIn(this.redis, this.settings.IMAGECYCLE_QUEUE_PREFIX, target);
  }

  /**
   * Each series whose targets disagree on its Latest (several targets only), from what each
   * target's renamer and janitor last recorded: who is ahead, who is behind, since when, and
   * whether longer than IMAGECYCLE_TARGETS_DISAGREE_SECONDS.
   */
  async disagreements(only?: string): Promise<Map<string, Disagreement>> {
    const found = new Map<string, Disagreement>();
    if (this.targets.length < 2) return found;
    // one series: its record in each target, not every series' records
    const records = await Promise.all(
      this.targets.map(async (t) => {
        const published = this.recordsOf(t.name).published;
        const one = only === undefined ? undefined : await published.get(only);
        return {
          target: t.name,
          all: only === undefined ? await published.all() : new Map(one ? [[only, one]] : []),
        };
      }),
    );
    for (const series of this.catalogue.series) {
      if (only !== undefined && series.id !== only) continue;
      const disagreement = targetsDisagreement(
        records.map(({ target, all }) => {
          const record = all.get(series.id);
          return { target, latest: record?.latest, since: record?.since ?? record?.at };
        }),
        this.now(),
        this.settings.IMAGECYCLE_TARGETS_DISAGREE_SECONDS * 1000,
      );
      if (disagreement) found.set(series.id, disagreement);
    }
    return found;
  }

  /**
   * After a target recorded what a series has published: a `targets-disagree` event when the
   * targets have disagreed on its Latest for longer than allowed - once per newest version
   * and set of targets behind.
   */
  async checkTargetsAgree(series: string): Promise<void> {
    const disagreement = (await this.disagreements(series)).get(series);
    if (!disagreement?.overdue) return;
    const behind = disagreement.behind.map((b) => b.target).join(',');
    const once = `${this.settings.IMAGECYCLE_QUEUE_PREFIX}:disagree-told:${series}:${disagreement.newest}:${behind}`;
    if ((await this.redis.set(once, '1', 'EX', 30 * 24 * 3600, 'NX')) !== 'OK') return;
    await this.events.record({
      type: 'targets-disagree',
      series,
      version: disagreement.newest,
      detail: disagreementText(disagreement),
    });
  }

  /**
   * The feed-watcher. It uses no cloud account: what each series has published is the record
   * the renamer and the janitor keep in each target; a release is new while any target
   * lacks it.
   */
  watcher(): FeedWatcher {
    const records = this.targets.map((target) => this.recordsOf(target.name).published);
    this.#watcher ??= new FeedWatcher({
      catalogue: this.catalogue,
      fetcher: this.#fetcher,
      published: async (series) =>
        publishedEverywhere(await Promise.all(records.map((record) => record.get(series)))),
      runtime: this.runtime,
      logger: this.logger,
      metrics: this.metrics,
      // no expiry: a series seen signed stays held to it across restarts
      signedSeries: new RedisSignedSeries(this.redis, {
        prefix: `${this.settings.IMAGECYCLE_QUEUE_PREFIX}:seen-signed:`,
      }),
      now: this.#now,
    });
    return this.#watcher;
  }

  /**
   * For the accounts the consumed queues' stages use: reads their clouds.yaml entries (a
   * CloudConfigError at once when one is wrong), then asks Keystone until it answers (backing
   * off up to 30 s, each failure logged) or `stop` settles; true once the project is known,
   * false when stopped first. A long-running process waits here with its /readyz saying why,
   * instead of exiting into a crash loop. Stages that use no cloud (the downloader) wait for
   * nothing and never read clouds.yaml.
   */
  async waitForCloud(
    stop: Promise<unknown>,
    consume: readonly QueueDefinition[] = allQueues,
  ): Promise<boolean> {
    const roles = cloudRolesOf(consume);
    if (roles.length === 0) return true;
    for (const target of this.targets) for (const role of roles) this.clouds.get(role, target);
    let stopped = false;
    void stop.then(() => (stopped = true));
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await Promise.race([
          Promise.all(this.targets.map((target) => this.owner(roles, target))),
          stop,
        ]);
        return !stopped;
      } catch (error) {
        if (error instanceof CloudConfigError) throw error;
        this.logger.warn(
          { err: (error as Error).message, retryInSeconds: delay / 1000 },
          'Keystone unreachable: not ready; retrying',
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stop, new Promise((resolve) => (timer = setTimeout(resolve, delay)))]);
      clearTimeout(timer);
      if (stopped) return false;
    }
  }

  now(): Date {
    return this.#now();
  }

  /** Upserts the daily feed checks of every series, the daily usage check and janitor. */
  async syncSchedules(): Promise<void> {
    // the catalogue and the queues only: a process without the feed-watcher's account keeps them too
    await syncFeedSchedules({ catalogue: this.catalogue, runtime: this.runtime });
    // one daily usage check and janitor per target (the default target's ids as before)
    const daily = (kind: string, target: string) =>
      target === DEFAULT_TARGET ? `${kind}--daily` : `${kind}--${target}--daily`;
    await this.runtime.syncSchedules(
      usageCheckQueue,
      'usage-check--',
      this.targets.map(({ name }) => ({
        id: daily('usage-check', name),
        cron: this.settings.IMAGECYCLE_USAGE_CHECK_CRON,
        timezone: this.catalogue.defaults.schedule.timezone,
        payload: { trigger: 'schedule', target: name },
      })),
    );
    await this.runtime.syncSchedules(
      janitorQueue,
      'janitor--',
      this.targets.map(({ name }) => ({
        id: daily('janitor', name),
        cron: this.settings.IMAGECYCLE_JANITOR_CRON,
        timezone: this.catalogue.defaults.schedule.timezone,
        payload: { trigger: 'schedule', target: name },
      })),
    );
  }

  /**
   * Starts the clock for every queue (QueueRuntime.startClock): due retries and schedules
   * are moved to `wait`, and jobs of dead workers recovered, with no worker running - so the
   * stage workers may scale to zero. Needs Redis only. The control plane runs it.
   */
  startClock(): void {
    this.runtime.startClock({ intervalMs: CLOCK_INTERVAL_MS });
  }

  /**
   * Starts workers for the consumed queues, each with its stage's handler. Only the accounts
   * those stages use are read and asked for the project (none for the downloader).
   */
  async start(consume: readonly QueueDefinition[]): Promise<void> {
    const roles = cloudRolesOf(consume);
    // every target's accounts answer before a worker takes a job (a typo fails start-up)
    if (roles.length > 0)
      await Promise.all(this.targets.map((target) => this.owner(roles, target)));
    const watcher = consume.includes(feedCheckQueue) ? this.watcher() : undefined;
    const handlers = stageHandlers({
      catalogue: this.catalogue,
      targets: this.targets.map((target) => this.#stageTarget(target, roles)),
      runtime: this.runtime,
      watcher: () => {
        if (!watcher) throw new Error('the feed-watcher is not among the consumed queues');
        return watcher;
      },
      events: this.events,
      checks: this.checks,
      deliveries: this.deliveries,
      outages: {
        record: new TargetOutages(
          this.redis,
          `${this.settings.IMAGECYCLE_QUEUE_PREFIX}:target-down`,
        ),
        outageMs: this.settings.IMAGECYCLE_TARGET_OUTAGE_SECONDS * 1000,
        retryMs:
          (this.settings.IMAGECYCLE_TARGET_RETRY_SECONDS ??
            this.settings.IMAGECYCLE_RETRY_DELAY_SECONDS ??
            300) * 1000,
      },
      uploadSlots: {
        slots: new Slots(
          this.redis,
          `${this.settings.IMAGECYCLE_QUEUE_PREFIX}:upload-slots`,
          this.settings.IMAGECYCLE_UPLOADS_PER_TARGET,
          2 * this.settings.IMAGECYCLE_JOB_LOCK_SECONDS * 1000,
        ),
        waitMs: 2_000,
      },
      recordedPublished: (series) => this.checkTargetsAgree(series),
      metrics: this.metrics,
      logger: this.logger,
      stagingDir: this.settings.IMAGECYCLE_STAGING_DIR,
      now: () => this.now(),
      reapSettleMs: this.settings.IMAGECYCLE_REAP_SETTLE_SECONDS * 1000,
      reapDryRun: this.settings.IMAGECYCLE_REAP_DRY_RUN,
      cinderAdminRoles: this.settings.IMAGECYCLE_CINDER_ADMIN_ROLES,
    });
    this.runtime.startWorkers(handlers, consume, this.settings.IMAGECYCLE_CONCURRENCY);
  }

  /** One target's accounts, owner and records, as its stages use them. */
  #stageTarget(target: Target, roles: readonly CloudRole[]): StageTarget {
    const records = this.recordsOf(target.name);
    const smokeClients = new Map<string, SmokeTester>();
    return {
      name: target.name,
      region: target.region,
      overlap: target.overlap,
      clouds: {
        publish: () => this.clouds.get('publish', target),
        usage: () => this.clouds.get('usage', target),
        alsoIn: () => this.clouds.usageElsewhere(target),
      },
      owner: () => (roles.length > 0 ? this.owner(roles, target) : Promise.resolve('')),
      published: records.published,
      usageChecks: records.usageChecks,
      smokeTests: records.smokeTests,
      // A series' smoke test runs in the clouds.yaml entry named by its `smokeTest.project`,
      // read from the publishing account's clouds.yaml (the uploader's only account), in the
      // target's region. None named: the publishing account's own project.
      smokeTesterFor: (project) => {
        const key = project ?? '';
        let tester = smokeClients.get(key);
        if (!tester) {
          const client =
            project === undefined
              ? this.clouds.get('publish', target)
              : this.clouds.publishFileEntry(project, target.region);
          tester = {
            nova: client.nova,
            flavorRef: (flavor, fit) =>
              flavor === undefined
                ? client.nova.smallestFlavor(fit)
                : client.nova.resolveFlavor(flavor),
          };
          smokeClients.set(key, tester);
        }
        return tester;
      },
    };
  }

  /**
   * Stops taking jobs and lets active ones finish within the drain deadline; the ones still
   * running then are cancelled and put back in their queues (see QueueRuntime.close).
   */
  async stop(): Promise<CloseResult> {
    const result = await this.runtime.close(this.settings.IMAGECYCLE_DRAIN_SECONDS * 1000);
    if (result.abandoned === 0) this.redis.disconnect();
    return result;
  }
}

/** What one target's stages record in Redis. */
export interface TargetRecords {
  published: PublishedRecords;
  usageChecks: UsageCheckRecords;
  smokeTests: SmokeTestRecords;
}

function recordsIn(redis: RedisClient, prefix: string, target = DEFAULT_TARGET): TargetRecords {
  return {
    published: new PublishedRecords(redis, targetKey(`${prefix}:published`, target)),
    usageChecks: new UsageCheckRecords(redis, targetKey(`${prefix}:usage-checks`, target)),
    smokeTests: new SmokeTestRecords(redis, targetKey(`${prefix}:smoke-tests`, target)),
  };
}
