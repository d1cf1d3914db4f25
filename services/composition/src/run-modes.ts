// Run modes: which queues a process consumes. Any process may produce to any queue.
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  reapQueue,
  reconcileQueue,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import type { QueueDefinition } from '@imagecycle/queues';

export const WORKERS = {
  'feed-watcher': [feedCheckQueue],
  downloader: [downloadQueue],
  uploader: [uploadQueue],
  renamer: [reconcileQueue],
  'usage-checker': [usageCheckQueue],
  reaper: [reapQueue],
  janitor: [janitorQueue],
} as const satisfies Record<string, readonly QueueDefinition[]>;

export type WorkerName = keyof typeof WORKERS;
export const WORKER_NAMES = Object.keys(WORKERS) as WorkerName[];

export function isWorkerName(name: string): name is WorkerName {
  return Object.hasOwn(WORKERS, name);
}

/** The queues the named workers consume; every worker when `all`. */
export function consumedQueues(names: readonly (WorkerName | 'all')[]): QueueDefinition[] {
  if (names.includes('all')) return [...allQueues];
  const queues = new Set<QueueDefinition>();
  for (const name of names) for (const queue of WORKERS[name as WorkerName]) queues.add(queue);
  return [...queues];
}
