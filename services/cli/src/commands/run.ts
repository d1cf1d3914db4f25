// imagecycle run [--series ID ...] [--wait] [--timeout SECONDS]
// Enqueues a feed check of the named series (all when none), and with --wait follows the
// pipeline until it is at rest, showing each stage's progress; exit 1 when a job failed or a
// release was rejected during the run.
import { type App, enqueueFeedChecks } from '@imagecycle/composition';
import { allQueues } from '@imagecycle/contracts';
import { eventLine } from '../event-line.ts';
import { EXIT } from '../exit-codes.ts';
import { followPipeline } from '../progress.ts';

export interface RunOptions {
  series: string[];
  wait: boolean;
  timeoutSeconds: number;
  json: boolean;
}

export async function runCommand(app: App, options: RunOptions): Promise<number> {
  // an unknown series is an UnknownSeriesError: exit 2 (usage), naming it
  const since = Date.now();
  const ids = await enqueueFeedChecks(app, options.series);
  if (!options.wait) {
    if (options.json) process.stdout.write(`${JSON.stringify({ enqueued: ids })}\n`);
    else process.stdout.write(`enqueued a check of ${ids.length} series\n`);
    return EXIT.ok;
  }
  const outcome = await followPipeline(app, allQueues, {
    since,
    timeoutMs: options.timeoutSeconds * 1000,
    bar: !options.json && process.stderr.isTTY,
  });
  const events = (await app.events.recent(500)).filter((e) => Date.parse(e.at) >= since - 1000);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ series: ids, ...outcome, events })}\n`);
  } else {
    for (const event of events.reverse()) process.stdout.write(`${eventLine(event)}\n`);
    process.stdout.write(
      `done: ${outcome.completed} job(s) completed, ${outcome.failed} failed, ${events.filter((e) => e.type === 'rejected').length} rejection(s)\n`,
    );
  }
  if (outcome.timedOut) return EXIT.unavailable;
  return outcome.failed > 0 || events.some((e) => e.type === 'rejected') ? EXIT.failed : EXIT.ok;
}
