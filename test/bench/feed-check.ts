// Benchmark: the daily check of the whole catalogue against the local mirror. Prints wall
// time, HTTP requests and bytes for a cold first check (empty cache, every release new) and
// for the no-change check that follows (conditional requests), and their ratios.
//   ./dev bench feed-check
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { allQueues } from '@imagecycle/contracts';
import { PublishedRecords } from '@imagecycle/events';
import { createLogger, createMetrics } from '@imagecycle/observability';
import { QueueRuntime } from '@imagecycle/queues';
import { DocumentFetcher, FeedWatcher, RedisDocumentCache } from '@imagecycle/feed-watcher';
import { startMirror } from '../mirror/index.ts';
import { loadMirrorCatalogue } from '../support/mirror-catalogue.ts';

const mirror = await startMirror({ seed: '2026-11-01' });
const prefix = `bench-${randomBytes(4).toString('hex')}`;
const redis = new Redis(process.env.REDIS_URL ?? '');
const runtime = new QueueRuntime({
  connection: { url: process.env.REDIS_URL ?? '', maxRetriesPerRequest: null },
  prefix,
  queues: allQueues,
});
const catalogue = await loadMirrorCatalogue(mirror);
const published = new PublishedRecords(redis, `${prefix}:published`);
const fetcher = new DocumentFetcher({
  cache: new RedisDocumentCache(redis, { prefix: `${prefix}:cache:` }),
});
const watcher = new FeedWatcher({
  catalogue,
  fetcher,
  // what is published is a Redis record (nothing recorded here: every release is new)
  published: (series) => published.get(series),
  runtime,
  logger: createLogger({ name: 'bench', level: 'silent' }),
  metrics: createMetrics({ defaultMetrics: false }),
});

async function run(label: string) {
  mirror.requests.reset();
  const t0 = performance.now();
  const outcomes: Record<string, number> = {};
  for (const series of catalogue.series) {
    const result = await watcher.handle({ series: series.id });
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  }
  const seconds = (performance.now() - t0) / 1000;
  const log = mirror.requests.log;
  const imageRequests = log.filter((e) => /\.(img|qcow2|raw|xz|bz2|gz)$/.test(e.path)).length;
  const figures = {
    seconds,
    requests: mirror.requests.total,
    bytes: mirror.requests.bytes,
    notModified: log.filter((e) => e.status === 304).length,
    imageRequests,
  };
  console.log(
    `${label.padEnd(10)} ${seconds.toFixed(3)} s  ${figures.requests} HTTP requests (${figures.notModified} answered 304)  ` +
      `${figures.bytes} bytes  ${imageRequests} image requests  outcomes ${JSON.stringify(outcomes)}`,
  );
  return figures;
}

try {
  console.log(`daily check of ${catalogue.series.length} series against the local mirror`);
  const cold = await run('cold');
  const warm = await run('no-change');
  console.log(
    `no-change / cold: time ${(warm.seconds / cold.seconds).toFixed(3)}, bytes ${(warm.bytes / cold.bytes).toFixed(4)}, ` +
      `requests ${(warm.requests / cold.requests).toFixed(3)}`,
  );
  if (warm.imageRequests !== 0) {
    console.log('EXPECTATION NOT MET: the no-change check requested image bytes');
    process.exitCode = 1;
  }
} finally {
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  redis.disconnect();
  await mirror.stop();
}
