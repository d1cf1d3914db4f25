export {
  buildControlPlane,
  ControlPlaneConfigError,
  type ControlPlaneOptions,
  type Probe,
} from './server.ts';
export { serveControlPlane } from './serve.ts';
export { isAuthorized, hasCredentials, type Credentials } from './auth.ts';
