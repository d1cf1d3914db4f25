// A queue runtime of a test's own on the stack's Redis: a unique queue prefix per test file
// (as BullMQ's own suite does), so tests never see each other's jobs.
import { randomBytes } from 'node:crypto';
import { allQueues } from '@imagecycle/contracts';
import { type QueueDefinition, QueueRuntime } from '@imagecycle/queues';

export function testRuntime(
  label: string,
  {
    redisUrl = process.env.REDIS_URL ?? '',
    queues = allQueues,
  }: { redisUrl?: string; queues?: readonly QueueDefinition[] } = {},
): { prefix: string; runtime: QueueRuntime } {
  const prefix = `${label}-${randomBytes(4).toString('hex')}`;
  const runtime = new QueueRuntime({
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix,
    queues,
  });
  return { prefix, runtime };
}
