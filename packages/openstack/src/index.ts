export { OpenStackClient, type ConnectOptions } from './client.ts';
export {
  resolveCloudConfig,
  standardConfigDirs,
  type CloudConfig,
  type Auth,
  type Interface,
  type ResolveOptions,
} from './cloud-config.ts';
export {
  OpenStackError,
  OpenStackHttpError,
  OpenStackConnectionError,
  StreamRefusedError,
  CloudConfigError,
  AuthError,
  WaitError,
  type ServiceName,
} from './errors.ts';
export { GlanceClient, type UploadOptions, type UploadSource, type WaitOptions } from './glance.ts';
export {
  imageProperty,
  type GlanceImage,
  type ImageFilters,
  type ImageStatus,
  type NewImage,
  type Visibility,
} from './glance-types.ts';
export { diffImage, type DesiredImage, type PatchOperation } from './image-patch.ts';
export { NovaClient, type Server, type NewServer } from './nova.ts';
export { CinderClient, type Volume } from './cinder.ts';
export { Redactor, REDACTED } from './redact.ts';
export { decideRetry, parseRetryAfter, defaultRetryPolicy, type RetryPolicy } from './retry.ts';
export { Session, selectEndpoint, type Token } from './session.ts';
export { Transport, type RequestInfo, type RequestObserver } from './transport.ts';
export { silentLogger, type Logger } from './logger.ts';
