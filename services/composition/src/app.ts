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
import { connectRedis, type RedisClient } from './redis-connection.ts';
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
}

export class App {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly catalogue: Catalogue;
  readonly cloud: OpenStackClient;
  readonly owner: string;
  readonly redis: RedisClient;
  readonly runtime: QueueRuntime;
  readonly events: Events;
  /** Each series' last feed check and its outcome. */
  readonly checks: CheckRecords;
  readonly metrics: Metrics;
  readonly watcher: FeedWatcher;
  readonly #now: () => Date;

  private constructor(
    fields: Omit<App, 'start' | 'stop' | 'syncSchedules' | 'now'>,
    now: () => Date,
  ) {
    this.settings = fields.settings;
    this.logger = fields.logger;
    this.catalogue = fields.catalogue;
    this.cloud = fields.cloud;
    this.owner = fields.owner;
    this.redis = fields.redis;
    this.runtime = fields.runtime;
    this.events = fields.events;
    this.checks = fields.checks;
    this.metrics = fields.metrics;
    this.watcher = fields.watcher;
    this.#now = now;
  }

  /** Reads the catalogue, authenticates to the cloud and connects to Redis. */
  static async create(options: AppOptions): Promise<App> {
    const { settings, logger } = options;
    const env = options.env ?? process.env;
    const catalogue = await loadCatalogue(settings.IMAGECYCLE_CATALOGUE, { vars: env });
    const cloud = OpenStackClient.connect({ logger, env });
    const owner = await cloud.projectId();
    const { client: redis, queueConnection } = connectRedis(settings);
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
    const watcher = new FeedWatcher({
      catalogue,
      fetcher: new DocumentFetcher({
        cache: new RedisDocumentCache(redis, {
          prefix: `${settings.IMAGECYCLE_QUEUE_PREFIX}:feed-cache:`,
        }),
        verifyTls: !settings.IMAGECYCLE_INSECURE_FEEDS,
      }),
      glance: cloud.glance,
      owner,
      runtime,
      logger,
      metrics,
      // no expiry: a series seen signed stays held to it across restarts
      signedSeries: new RedisSignedSeries(redis, {
        prefix: `${settings.IMAGECYCLE_QUEUE_PREFIX}:seen-signed:`,
      }),
      now,
    });
    return new App(
      {
        settings,
        logger,
        catalogue,
        cloud,
        owner,
        redis,
        runtime,
        events,
        checks,
        metrics,
        watcher,
      },
      now,
    );
  }

  now(): Date {
    return this.#now();
  }

  /** Upserts the daily feed checks of every series, the daily usage check and janitor. */
  async syncSchedules(): Promise<void> {
    await this.watcher.syncSchedules();
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

  /** Starts workers for the consumed queues, each with its stage's handler. */
  start(consume: readonly QueueDefinition[]): void {
    const smokeClients = new Map<string, SmokeTester>();
    const handlers = stageHandlers({
      catalogue: this.catalogue,
      cloud: this.cloud,
      owner: this.owner,
      runtime: this.runtime,
      watcher: this.watcher,
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
