// Waits until no queue has work waiting, delayed or running: the pipeline is at rest.
import type { QueueDefinition, QueueRuntime } from '@imagecycle/queues';

export async function waitUntilIdle(
  runtime: QueueRuntime,
  queues: readonly QueueDefinition[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  for (;;) {
    let busy = 0;
    for (const queue of queues) {
      const counts = await runtime
        .queue(queue)
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      busy += Object.values(counts).reduce((sum, n) => sum + n, 0);
    }
    // twice in a row: a job may enqueue its successor just as the counts are read
    quietRounds = busy === 0 ? quietRounds + 1 : 0;
    if (quietRounds >= 2) return;
    if (Date.now() > deadline)
      throw new Error(`the pipeline still has ${busy} job(s) after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
