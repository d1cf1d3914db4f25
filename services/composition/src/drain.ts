// Waits until no queue has work waiting, running or retrying: the pipeline is at rest.
// The next occurrence of a schedule (a delayed job a job scheduler keeps ready) is not work.
import type { QueueDefinition, QueueRuntime } from '@imagecycle/queues';

export async function pendingJobs(
  runtime: QueueRuntime,
  queues: readonly QueueDefinition[],
): Promise<number> {
  let busy = 0;
  for (const definition of queues) {
    const queue = runtime.queue(definition);
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
    busy += Object.values(counts).reduce((sum, n) => sum + n, 0);
    if ((await queue.getDelayedCount()) > 0)
      busy += (await queue.getDelayed()).filter((job) => !job.repeatJobKey).length;
  }
  return busy;
}

export async function waitUntilIdle(
  runtime: QueueRuntime,
  queues: readonly QueueDefinition[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  for (;;) {
    const busy = await pendingJobs(runtime, queues);
    // twice in a row: a job may enqueue its successor just as the counts are read
    quietRounds = busy === 0 ? quietRounds + 1 : 0;
    if (quietRounds >= 2) return;
    if (Date.now() > deadline)
      throw new Error(`the pipeline still has ${busy} job(s) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
