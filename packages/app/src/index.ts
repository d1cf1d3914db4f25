export { App, type AppOptions } from './app.ts';
export { loadSettings, settingsSchema, SettingsError, type Settings } from './settings.ts';
export {
  WORKERS,
  WORKER_NAMES,
  DEFAULT_CONCURRENCY,
  consumedQueues,
  isWorkerName,
  type WorkerName,
} from './run-modes.ts';
export { planFor, readSeriesStates, selectSeries } from './views.ts';
export { UnknownSeriesError } from '@imagecycle/feed-watcher';
export {
  connectRedis,
  describeRedis,
  redisMode,
  type RedisClient,
  type RedisConnection,
} from './redis-connection.ts';
