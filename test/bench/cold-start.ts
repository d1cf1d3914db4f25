// Benchmark: the cold start of a worker scaled to zero. A job is enqueued to a queue no
// worker consumes, and at that moment an `imagecycle worker feed-watcher` process is started
// (as the pod KEDA starts would be); the figure is the time from the enqueue to the job
// running (active) and to it being done. For contrast, the same with the worker already
// running (warm). Kubernetes adds to the cold figure KEDA's polling (up to pollingInterval,
// 15 s), scheduling the pod, and pulling the image on a node that lacks it.
//   ./dev bench cold-start [runs]
import { randomBytes } from 'node:crypto';
import { feedCheckQueue } from '@imagecycle/contracts';
import type { QueueRuntime } from '@imagecycle/queues';
import { startMirror } from '../mirror/index.ts';
import { imagecycleEnv, type RunningProcess, startImagecycle } from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';

const runs = Number(process.argv[2] ?? 5);
const SERIES = 'ubuntu-24.04';
const mirror = await startMirror({ seed: '2026-11-01' });

/** Milliseconds from the enqueue until the job is active, and until it is done. */
async function timeJob(runtime: QueueRuntime, start?: () => RunningProcess) {
  const queue = runtime.queue(feedCheckQueue);
  const job = await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
  const enqueued = performance.now();
  const worker = start?.();
  let active: number | undefined;
  for (;;) {
    const state = await queue.getJobState(job.id ?? '');
    if (active === undefined && state !== 'waiting' && state !== 'prioritized')
      active = performance.now() - enqueued;
    if (state === 'completed') return { worker, active, done: performance.now() - enqueued };
    if (state === 'failed') throw new Error(`the feed check failed: ${worker?.stderr() ?? ''}`);
    if (worker?.child.exitCode != null) throw new Error(`the worker exited: ${worker.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const cold: { active: number; done: number }[] = [];
const warm: { active: number; done: number }[] = [];
for (let i = 0; i < runs; i++) {
  const { prefix, runtime } = testRuntime(`bench-cold-${randomBytes(2).toString('hex')}`);
  const env = imagecycleEnv(mirror, { IMAGECYCLE_QUEUE_PREFIX: prefix });
  const first = await timeJob(runtime, () => startImagecycle(['worker', 'feed-watcher'], env));
  cold.push({ active: first.active ?? NaN, done: first.done });
  // the worker is up now: the same job again (its id is new: manual checks are not keyed)
  const second = await timeJob(runtime);
  warm.push({ active: second.active ?? NaN, done: second.done });
  await first.worker?.stop(10_000);
  for (const definition of runtime.definitions)
    await runtime.queue(definition).obliterate({ force: true });
  await runtime.close();
}
await mirror.stop();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const row = (label: string, samples: { active: number; done: number }[]) =>
  `${label}  enqueue -> running: median ${median(samples.map((s) => s.active)).toFixed(0)} ms ` +
  `(${samples.map((s) => s.active.toFixed(0)).join(', ')})   enqueue -> done: median ` +
  `${median(samples.map((s) => s.done)).toFixed(0)} ms`;
console.log(`feed check of ${SERIES}, ${runs} runs, Node ${process.version}`);
console.log(row('cold (worker started at the enqueue)', cold));
console.log(row('warm (worker already running)       ', warm));
