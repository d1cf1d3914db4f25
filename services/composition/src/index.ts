// A process's composition, the one place that wires imagecycle together: the settings, the
// clients and queues they describe, every stage's handler on its queue, the run modes that
// choose which workers consume, and the read models and control plane fed from it all.
export { App, type AppOptions, CLOCK_INTERVAL_MS, RedisUnreachableError } from './app.ts';
export { loadSettings, settingsSchema, SettingsError, type Settings } from './settings.ts';
export {
  WORKERS,
  WORKER_NAMES,
  consumedQueues,
  isWorkerName,
  type WorkerName,
} from './run-modes.ts';
export { stageHandlers, type StageClouds, type StageDeps, type StageHandlers } from './stages.ts';
export {
  CLOUD_FILE_SETTING,
  CLOUD_SETTING,
  CloudAccounts,
  cloudRolesOf,
  QUEUE_CLOUD_ROLES,
  type CloudRole,
} from './clouds.ts';
export { pendingJobs, waitUntilIdle } from './drain.ts';
export { planFor, readSeriesStates } from './views.ts';
export {
  type Enqueued,
  enqueueFeedChecks,
  enqueueJanitorRun,
  enqueueUsageCheck,
} from './triggers.ts';
export { serveControlPlane, serveWorkerMetrics } from './control-plane.ts';
export {
  connectRedis,
  describeRedis,
  redisMode,
  type RedisClient,
  type RedisConnection,
} from './redis-connection.ts';
