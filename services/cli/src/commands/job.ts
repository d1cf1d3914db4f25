// What `imagecycle janitor` and `imagecycle usage-check` share: enqueue one job over some
// series (all when none), and with --wait wait until a worker has run it and print its
// report. Exit 1 when the job failed for good, 4 when the wait timed out.
import type { App, Enqueued } from '@imagecycle/composition';
import type { QueueDefinition } from '@imagecycle/queues';
import { EXIT } from '../exit-codes.ts';
import { waitForJob } from '../progress.ts';

export interface JobOptions {
  series: string[];
  /** Only this target (all when absent). */
  target?: string | undefined;
  wait: boolean;
  timeoutSeconds: number;
  json: boolean;
}

/** One kind of job started by hand. */
export interface JobCommand<Report> {
  /** The command's name, as error lines begin with it: `janitor`. */
  command: string;
  /** The job in words: `the pass`, `the check`. */
  what: string;
  /** Who runs it, for the timeout's hint: `a janitor worker`. */
  worker: string;
  queue: QueueDefinition;
  /** Enqueues the job; an unknown series is an UnknownSeriesError (exit 2, naming it). */
  enqueue(app: App, series: readonly string[], target?: string): Promise<Enqueued>;
  /** The line saying what was enqueued, without --wait. */
  enqueuedLine(enqueued: Enqueued): string;
  /** The job's result as lines for people. */
  reportLines(report: Report): string[];
}

export async function jobCommand<Report>(
  app: App,
  spec: JobCommand<Report>,
  options: JobOptions,
): Promise<number> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const enqueued = await spec.enqueue(app, options.series, options.target);
  if (!options.wait) {
    write(
      options.json
        ? JSON.stringify({
            enqueued: enqueued.job,
            jobs: enqueued.jobs,
            series: enqueued.series,
          })
        : spec.enqueuedLine(enqueued),
    );
    return EXIT.ok;
  }

  // one job per target, waited for in turn; each report says its target when there are several
  const several = enqueued.jobs.length > 1;
  let exit: number = EXIT.ok;
  for (const { target, job: jobId } of enqueued.jobs) {
    const outcome = await waitForJob(app, spec.queue, jobId, {
      timeoutMs: options.timeoutSeconds * 1000,
      bar: !options.json && process.stderr.isTTY,
    });
    const job = `imagecycle ${spec.command}: ${spec.what} (job ${jobId})`;
    const where = several ? `target ${target}: ` : '';
    if (outcome.state === 'timed-out') {
      process.stderr.write(
        `${where}${job} is still ${outcome.current} after ${options.timeoutSeconds} s; is ${spec.worker} running?\n`,
      );
      return EXIT.unavailable;
    }
    if (outcome.state === 'failed') {
      if (options.json)
        write(
          JSON.stringify({ job: jobId, ...(several ? { target } : {}), failed: outcome.reason }),
        );
      process.stderr.write(`${where}${job} failed: ${outcome.reason}\n`);
      exit = EXIT.failed;
      continue;
    }
    const report = outcome.value as Report;
    if (options.json) write(JSON.stringify({ job: jobId, ...(several ? { target } : {}), report }));
    else for (const line of spec.reportLines(report)) write(`${where}${line}`);
  }
  return exit;
}
