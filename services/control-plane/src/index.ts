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
export {
  redisMetricsLease,
  soleReplica,
  type LeaseClient,
  type MetricsLease,
} from './metrics-lease.ts';
