export {
  buildControlPlane,
  ControlPlaneConfigError,
  type ControlPlaneOptions,
  type Probe,
} from './server.ts';
export { isAuthorized, hasCredentials, type Credentials } from './auth.ts';
export { type ControlPlaneViews } from './api.ts';
export { openApiDocument } from './openapi.ts';
export { renderStatusPage } from './status-page.ts';
export { buildWorkerMetrics } from './worker-metrics.ts';
