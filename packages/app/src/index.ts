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
