// The feed-watcher process.
//   node services/feed-watcher/src/main.ts worker            consume feed-check jobs; upsert the daily schedules first
//   node services/feed-watcher/src/main.ts trigger [SERIES...] enqueue an on-demand check (all series when none named)
// Settings come from the environment: OS_CLOUD / OS_CLIENT_CONFIG_FILE / OS_* (the cloud),
// REDIS_URL, IMAGECYCLE_CATALOGUE (default: the packaged catalogue; its ${VARS} are read
// from the environment too), IMAGECYCLE_QUEUE_PREFIX (default imagecycle), LOG_LEVEL.
import { allQueues, feedCheckQueue } from '@imagecycle/contracts';
import { createLogger, createMetrics } from '@imagecycle/observability';
import { OpenStackClient } from '@imagecycle/openstack';
import { handle, QueueRuntime } from '@imagecycle/queues';
import {
  CatalogueError,
  DEFAULT_CATALOGUE_PATH,
  loadCatalogue,
} from '@imagecycle/series-catalogue';
import { Redis } from 'ioredis';
import { RedisDocumentCache } from './document-cache.ts';
import { DocumentFetcher } from './document-fetcher.ts';
import { FeedWatcher } from './feed-watcher.ts';

const logger = createLogger({ name: 'feed-watcher' });

async function main(argv: string[]): Promise<number> {
  const [command = 'worker', ...args] = argv;
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is not set');
  const cataloguePath = process.env.IMAGECYCLE_CATALOGUE ?? DEFAULT_CATALOGUE_PATH;
  const catalogue = await loadCatalogue(cataloguePath, { vars: process.env });
  const runtime = new QueueRuntime({
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix: process.env.IMAGECYCLE_QUEUE_PREFIX ?? 'imagecycle',
    queues: allQueues,
    logger,
  });

  if (command === 'trigger') {
    const known = new Set(catalogue.series.map((s) => s.id));
    const unknown = args.filter((id) => !known.has(id));
    if (unknown.length) throw new Error(`not in ${cataloguePath}: ${unknown.join(', ')}`);
    const ids = args.length ? args : [...known];
    for (const series of ids) {
      const job = await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
      logger.info({ series, jobId: job.id }, 'check enqueued');
    }
    await runtime.close();
    return 0;
  }
  if (command !== 'worker') throw new Error(`unknown command "${command}" (worker, trigger)`);

  const cloud = OpenStackClient.connect({ logger });
  const redis = new Redis(redisUrl);
  const watcher = new FeedWatcher({
    catalogue,
    fetcher: new DocumentFetcher({
      cache: new RedisDocumentCache(redis),
      verifyTls: process.env.IMAGECYCLE_INSECURE_FEEDS !== '1',
    }),
    glance: cloud.glance,
    owner: await cloud.projectId(),
    runtime,
    logger,
    metrics: createMetrics(),
  });
  await watcher.syncSchedules();
  runtime.startWorkers([handle(feedCheckQueue, watcher.handle, 4)], [feedCheckQueue]);
  logger.info(
    { series: catalogue.series.length, catalogue: cataloguePath },
    'feed-watcher started',
  );

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info('stopping: finishing active checks');
  await runtime.close();
  redis.disconnect();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof CatalogueError
        ? error.message
        : error instanceof Error
          ? error.message
          : String(error);
    logger.error({ err: message }, 'feed-watcher failed');
    // The same, readable, for the person at the terminal (or kubectl logs).
    process.stderr.write(`feed-watcher: ${message}\n`);
    process.exit(1);
  },
);
