// Follows the pipeline until it is at rest: counts the jobs finished since the run began and,
// on a terminal, redraws one line per active job with a progress bar (downloads, uploads).
// Or follows one job (a usage check, a janitor pass) until it is over, its state on one line.
import type { App } from '@imagecycle/composition';
import { pendingJobs } from '@imagecycle/composition';
import type { QueueDefinition } from '@imagecycle/queues';
import { setTimeout as sleep } from 'node:timers/promises';
import { fitWidth } from './output.ts';

export interface FollowOptions {
  /** Jobs finished before this (ms since epoch) belong to earlier runs. */
  since: number;
  timeoutMs: number;
  /** Draw bars on stderr (a terminal); otherwise stay silent until the end. */
  bar: boolean;
}

export interface FollowOutcome {
  completed: number;
  failed: number;
  timedOut: boolean;
}

const WIDTH = 28;

/** `[#########-------------]  37%  412.0/1100.0 MiB` */
export function renderBar(done: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * WIDTH);
  const mib = (n: number) => (n / 1048576).toFixed(1);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${mib(done)}/${mib(total)} MiB`;
}

interface ProgressShape {
  bytes?: number;
  total?: number;
  phase?: string;
}

export async function followPipeline(
  app: App,
  queues: readonly QueueDefinition[],
  options: FollowOptions,
): Promise<FollowOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let quiet = 0;
  let drawn = 0;
  const draw = (lines: string[]) => {
    if (!options.bar) return;
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    // a line wider than the terminal would wrap, and the redraw would climb too few lines
    for (const line of lines) out += `\x1b[2K${fitWidth(line, process.stderr.columns)}\n`;
    for (let i = lines.length; i < drawn; i += 1) out += '\x1b[2K\n';
    if (lines.length < drawn) out += `\x1b[${drawn - lines.length}A`;
    process.stderr.write(out);
    drawn = lines.length;
  };
  for (;;) {
    const busy = await pendingJobs(app.runtime, queues);
    const lines: string[] = [];
    for (const definition of options.bar ? queues : []) {
      const queue = app.runtime.queue(definition);
      for (const job of await queue.getJobs(['active'])) {
        const progress = (typeof job.progress === 'object' ? job.progress : {}) as ProgressShape;
        const label = `${definition.name.padEnd(11)} ${(job.id ?? '').slice(0, 44).padEnd(44)}`;
        lines.push(
          progress.total
            ? `${label} ${(progress.phase ?? '').padEnd(10)} ${renderBar(progress.bytes ?? 0, progress.total)}`
            : `${label} running`,
        );
      }
    }
    draw(lines);
    quiet = busy === 0 ? quiet + 1 : 0;
    if (quiet >= 2 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  let completed = 0;
  let failed = 0;
  for (const definition of queues) {
    const queue = app.runtime.queue(definition);
    for (const job of await queue.getJobs(['completed']))
      if ((job.finishedOn ?? 0) >= options.since) completed += 1;
    for (const job of await queue.getJobs(['failed']))
      if ((job.finishedOn ?? 0) >= options.since) failed += 1;
  }
  return { completed, failed, timedOut: quiet < 2 };
}

/** How one job ended, or that it had not by the deadline. */
export type JobOutcome =
  | { state: 'completed'; value: unknown }
  | { state: 'failed'; reason: string }
  | { state: 'timed-out'; current: string };

/** `usage-check  17  active  12 s`: the line a terminal shows while waiting for a job. */
export function jobLine(queue: string, jobId: string, state: string, seconds: number): string {
  return `${queue}  ${jobId}  ${state}  ${Math.floor(seconds)} s`;
}

/**
 * Waits until the job is over - completed, or failed for good (a failed attempt that will be
 * retried is delayed, not failed) - or the timeout passes; on a terminal (`bar`) its state is
 * redrawn on one stderr line meanwhile.
 */
export async function waitForJob(
  app: App,
  definition: QueueDefinition,
  jobId: string,
  options: { timeoutMs: number; bar: boolean },
): Promise<JobOutcome> {
  const queue = app.runtime.queue(definition);
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const draw = (state: string) => {
    if (!options.bar) return;
    const line = jobLine(definition.name, jobId, state, (Date.now() - started) / 1000);
    process.stderr.write(`\r\x1b[2K${fitWidth(line, process.stderr.columns)}`);
  };
  let state: string;
  for (;;) {
    state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') break;
    draw(state);
    if (Date.now() >= deadline) {
      if (options.bar) process.stderr.write('\n');
      return { state: 'timed-out', current: state };
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  draw(state);
  if (options.bar) process.stderr.write('\n');
  const done = await queue.getJob(jobId);
  if (!done || (await done.getState()) !== 'completed')
    return {
      state: 'failed',
      reason: done?.failedReason ?? 'the job is gone (removed before it could be read)',
    };
  return { state: 'completed', value: done.returnvalue as unknown };
}
