// A worker that dies holding a job: it takes one job of the named queue, prints
// `running <job id>`, and never finishes it - the test then SIGKILLs it, leaving the job
// active with a lock nobody renews, as a pod that died does.
//   node test/support/hold-job.ts <redis url> <prefix> <queue> <lock ms>
import { z } from 'zod';
import { defineQueue, QueueRuntime } from '@imagecycle/queues';

export const HOLD_JOB = import.meta.filename;

if (process.argv[1] === import.meta.filename) {
  const [url, prefix, name, lockMs] = process.argv.slice(2);
  if (!url || !prefix || !name || !lockMs)
    throw new Error('usage: hold-job.ts <redis url> <prefix> <queue> <lock ms>');
  const queue = defineQueue({
    name,
    description: 'a job a dying worker holds',
    payload: z.unknown(),
    defaultJobOptions: {},
    concurrency: 1,
  });
  const runtime = new QueueRuntime({
    connection: { url, maxRetriesPerRequest: null },
    prefix,
    queues: [queue],
    worker: { lockDurationMs: Number(lockMs), stalledIntervalMs: Number(lockMs) },
  });
  runtime.startWorkers(
    {
      [name]: async (_payload: unknown, context: { jobId: string }) => {
        process.stdout.write(`running ${context.jobId}\n`);
        await new Promise(() => {});
      },
    },
    [queue],
  );
}
