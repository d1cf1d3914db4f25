export {
  buildControlPlane,
  controlPlane,
  ControlPlaneConfigError,
  type ControlPlaneOptions,
  type Probe,
} from './server.ts';
export { isAuthorized, hasCredentials, type Credentials } from './auth.ts';
export { api, type ApiOptions, type ControlPlaneViews } from './api.ts';
export { registerOpenApi } from './openapi.ts';
export { renderStatusPage } from './status-page.ts';
export { buildWorkerMetrics } from './worker-metrics.ts';
export { registerCatalogueMetrics } from './catalogue-metrics.ts';
export { registerQueueMetrics } from './queue-metrics.ts';
export {
  redisMetricsLease,
  registerLeaderGauge,
  soleReplica,
  type LeaseClient,
  type MetricsLease,
} from './metrics-lease.ts';
