// imagecycle worker <name...> | imagecycle all
// Consumes the queues of the named workers until SIGTERM/SIGINT, then drains: no new jobs,
// active ones get IMAGECYCLE_DRAIN_SECONDS to finish; the ones still running then are
// cancelled and put back in their queues for another worker (one whose handler does not
// stop is recovered once its lock expires). The control plane, and the process that runs the
// feed-watcher, the usage-checker or the janitor, upsert the daily schedules (an upsert: any
// number may do it); the control plane also runs the clock (App.startClock).
import {
  type App,
  cloudRolesOf,
  consumedQueues,
  isWorkerName,
  serveControlPlane,
  serveWorkerMetrics,
  WORKER_NAMES,
  type WorkerName,
} from '@imagecycle/composition';
import { janitorQueue } from '@imagecycle/contracts';
import { CliError, EXIT } from '../exit-codes.ts';

export function parseWorkerNames(args: readonly string[]): WorkerName[] {
  if (args.length === 0)
    throw new CliError(EXIT.usage, `worker: name at least one of ${WORKER_NAMES.join(', ')}`);
  const unknown = args.filter((name) => !isWorkerName(name));
  if (unknown.length > 0)
    throw new CliError(
      EXIT.usage,
      `worker: unknown worker ${unknown.join(', ')}; known: ${WORKER_NAMES.join(', ')}`,
    );
  return args as WorkerName[];
}

export async function runWorkers(
  app: App,
  names: readonly (WorkerName | 'all')[],
  options: { controlPlane?: boolean } = {},
): Promise<number> {
  // Listen for SIGTERM before anything else: one that arrives during start-up (schedules
  // being upserted, say) must still mean "drain and stop", not the default sudden death.
  const stopping = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const consume = consumedQueues(names);
  const metricsPort = app.settings.IMAGECYCLE_METRICS_PORT;
  const server = options.controlPlane
    ? await serveControlPlane(app)
    : metricsPort !== undefined
      ? await serveWorkerMetrics(app, metricsPort, cloudRolesOf(consume))
      : undefined;
  // The control plane is the one process that always runs: its clock moves due retries and
  // schedules to wait and recovers dead workers' jobs (Redis only, before Keystone answers),
  // so the stage workers may be scaled to zero between bursts.
  if (options.controlPlane) app.startClock();
  const schedules =
    options.controlPlane ||
    names.includes('all') ||
    names.includes('feed-watcher') ||
    names.includes('usage-checker') ||
    names.includes('janitor');
  // Keystone down: serve /readyz (saying so) and wait for it, instead of a crash loop (only
  // for the accounts these workers use: a downloader reads no clouds.yaml and waits for none)
  if (!(await app.waitForCloud(stopping, consume))) {
    await server?.close();
    await app.stop();
    return EXIT.ok;
  }
  if (schedules) await app.syncSchedules();
  await app.start(consume);
  // The janitor runs at start-up too: a new catalogue (a deployment) reaches Glance at once,
  // also when the janitor's own workers are at zero (the control plane rolls with it).
  if (consume.includes(janitorQueue) || options.controlPlane)
    for (const target of app.targets)
      await app.runtime.enqueue(janitorQueue, { trigger: 'startup', target: target.name });
  app.logger.info(
    { workers: names, queues: consume.map((q) => q.name), series: app.catalogue.series.length },
    'workers started',
  );
  const signal = await stopping;
  app.logger.info(
    { signal, drainSeconds: app.settings.IMAGECYCLE_DRAIN_SECONDS },
    'stopping: no new jobs; waiting for active ones',
  );
  await server?.close();
  const { cancelled, abandoned } = await app.stop();
  if (abandoned > 0)
    app.logger.warn(
      { cancelled, abandoned },
      'drain deadline passed: jobs that did not stop are left to their locks for another worker',
    );
  else if (cancelled > 0)
    app.logger.warn({ cancelled }, 'drain deadline passed: running jobs cancelled and requeued');
  else app.logger.info('stopped');
  return EXIT.ok;
}
