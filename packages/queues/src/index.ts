export {
  defineQueue,
  jobIdFrom,
  type QueueDefinition,
  type PayloadOf,
  type PayloadInput,
  type Handler,
  type HandlerMap,
  type HandlerTable,
  type HandlerContext,
} from './definition.ts';
export { encodeKey, decodeKey } from './keys.ts';
export {
  QueueConfigurationError,
  PayloadError,
  JobCancelled,
  FinalFailure,
  RunLater,
} from './errors.ts';
export { invokeHandler, parsePayload } from './invoke.ts';
export { type SlotLease, Slots } from './slots.ts';
export {
  QueueRuntime,
  type RuntimeOptions,
  type QueueLogger,
  type WorkerTuning,
  type JobObserver,
  type ClockOptions,
  type CloseOptions,
  type CloseResult,
} from './runtime.ts';
