// One process's composition: from the settings, the catalogue, the cloud, Redis, the queues
// and every stage's handler. Workers are started only for the queues the run mode consumes;
// any process may enqueue. `stop` drains within the deadline (SIGTERM in Kubernetes).
import { allQueues, janitorQueue, usageCheckQueue } from '@imagecycle/contracts';
import { CheckRecords, Events } from '@imagecycle/events';
import {
  DocumentFetcher,
  FeedWatcher,
  RedisDocumentCache,
  RedisSignedSeries,
} from '@imagecycle/feed-watcher';
import { createMetrics, type Logger, type Metrics } from '@imagecycle/observability';
import { OpenStackClient } from '@imagecycle/openstack';
import { type CloseResult, type QueueDefinition, QueueRuntime } from '@imagecycle/queues';
import { type Catalogue, loadCatalogue } from '@imagecycle/series-catalogue';
import type { SmokeTester } from '@imagecycle/uploader';
import { connectRedis, describeRedis, type RedisClient } from './redis-connection.ts';
import { stageHandlers } from './stages.ts';
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
  readonly cloud: OpenStackClient;
  readonly redis: RedisClient;
  readonly runtime: QueueRuntime;
  readonly events: Events;
  /** Each series' last feed check and its outcome. */
  readonly checks: CheckRecords;
  readonly metrics: Metrics;
  readonly #now: () => Date;
  readonly #fetcher: DocumentFetcher;
  /** The project's id and the feed-watcher (which needs it), once Keystone has answered. */
  #cloudReady: Promise<{ owner: string; watcher: FeedWatcher }> | undefined;

  private constructor(
    fields: Omit<
      App,
      | 'start'
      | 'stop'
      | 'syncSchedules'
      | 'startClock'
      | 'now'
      | 'owner'
      | 'watcher'
      | 'waitForCloud'
      | 'requireRedis'
    >,
    now: () => Date,
    fetcher: DocumentFetcher,
  ) {
    this.settings = fields.settings;
    this.logger = fields.logger;
    this.catalogue = fields.catalogue;
    this.cloud = fields.cloud;
    this.redis = fields.redis;
    this.runtime = fields.runtime;
    this.events = fields.events;
    this.checks = fields.checks;
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
    const cloud = OpenStackClient.connect({ logger, env });
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
    const fetcher = new DocumentFetcher({
      cache: new RedisDocumentCache(redis, {
        prefix: `${settings.IMAGECYCLE_QUEUE_PREFIX}:feed-cache:`,
      }),
      verifyTls: !settings.IMAGECYCLE_INSECURE_FEEDS,
    });
    return new App(
      { settings, logger, catalogue, cloud, redis, runtime, events, checks, metrics },
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

  /** The project the cloud session is scoped to: asks Keystone the first time. */
  async owner(): Promise<string> {
    return (await this.#cloud()).owner;
  }

  /** The feed-watcher, which needs the project's id (and so Keystone) to exist. */
  async watcher(): Promise<FeedWatcher> {
    return (await this.#cloud()).watcher;
  }

  #cloud(): Promise<{ owner: string; watcher: FeedWatcher }> {
    this.#cloudReady ??= (async () => {
      const owner = await this.cloud.projectId();
      const watcher = new FeedWatcher({
        catalogue: this.catalogue,
        fetcher: this.#fetcher,
        glance: this.cloud.glance,
        owner,
        runtime: this.runtime,
        logger: this.logger,
        metrics: this.metrics,
        // no expiry: a series seen signed stays held to it across restarts
        signedSeries: new RedisSignedSeries(this.redis, {
          prefix: `${this.settings.IMAGECYCLE_QUEUE_PREFIX}:seen-signed:`,
        }),
        now: this.#now,
      });
      return { owner, watcher };
    })();
    // a failure is not remembered: the next call asks Keystone again
    this.#cloudReady.catch(() => (this.#cloudReady = undefined));
    return this.#cloudReady;
  }

  /**
   * Asks Keystone until it answers (backing off up to 30 s, each failure logged) or `stop`
   * settles; true once the cloud is known, false when stopped first. A long-running process
   * waits here with its /readyz saying why, instead of exiting into a crash loop.
   */
  async waitForCloud(stop: Promise<unknown>): Promise<boolean> {
    let stopped = false;
    void stop.then(() => (stopped = true));
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await Promise.race([this.#cloud(), stop]);
        return !stopped;
      } catch (error) {
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
    await (await this.watcher()).syncSchedules();
    await this.runtime.syncSchedules(usageCheckQueue, 'usage-check--', [
      {
        id: 'usage-check--daily',
        cron: this.settings.IMAGECYCLE_USAGE_CHECK_CRON,
        timezone: this.catalogue.defaults.schedule.timezone,
        payload: { trigger: 'schedule' },
      },
    ]);
    await this.runtime.syncSchedules(janitorQueue, 'janitor--', [
      {
        id: 'janitor--daily',
        cron: this.settings.IMAGECYCLE_JANITOR_CRON,
        timezone: this.catalogue.defaults.schedule.timezone,
        payload: { trigger: 'schedule' },
      },
    ]);
  }

  /**
   * Starts the clock for every queue (QueueRuntime.startClock): due retries and schedules
   * are moved to `wait`, and jobs of dead workers recovered, with no worker running - so the
   * stage workers may scale to zero. Needs Redis only. The control plane runs it.
   */
  startClock(): void {
    this.runtime.startClock({ intervalMs: CLOCK_INTERVAL_MS });
  }

  /** Starts workers for the consumed queues, each with its stage's handler (asks Keystone). */
  async start(consume: readonly QueueDefinition[]): Promise<void> {
    const { owner, watcher } = await this.#cloud();
    const smokeClients = new Map<string, SmokeTester>();
    const handlers = stageHandlers({
      catalogue: this.catalogue,
      cloud: this.cloud,
      owner,
      runtime: this.runtime,
      watcher,
      events: this.events,
      checks: this.checks,
      metrics: this.metrics,
      logger: this.logger,
      stagingDir: this.settings.IMAGECYCLE_STAGING_DIR,
      now: () => this.now(),
      reapSettleMs: this.settings.IMAGECYCLE_REAP_SETTLE_SECONDS * 1000,
      reapDryRun: this.settings.IMAGECYCLE_REAP_DRY_RUN,
      // A series' smoke test runs in the clouds.yaml entry named by its `smokeTest.project`.
      smokeTesterFor: (project) => {
        let tester = smokeClients.get(project);
        if (!tester) {
          const client = OpenStackClient.connect({ cloud: project, logger: this.logger });
          tester = { nova: client.nova, flavorRef: (flavor) => client.nova.resolveFlavor(flavor) };
          smokeClients.set(project, tester);
        }
        return tester;
      },
    });
    this.runtime.startWorkers(handlers, consume, this.settings.IMAGECYCLE_CONCURRENCY);
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
