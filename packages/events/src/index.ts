export {
  Events,
  eventSchema,
  EVENT_TYPES,
  type LifecycleEvent,
  type EventsOptions,
  type EventLogger,
} from './events.ts';
export {
  CHECK_OUTCOMES,
  type CheckRecord,
  CheckRecords,
  checkRecordSchema,
  USAGE_CHECK_OUTCOMES,
  type UsageCheckRecord,
  UsageCheckRecords,
  usageCheckRecordSchema,
} from './checks.ts';
export {
  SMOKE_TEST_RESULTS,
  type SmokeTestRecord,
  SmokeTestRecords,
  smokeTestRecordSchema,
} from './smoke-tests.ts';
export { type PublishedRecord, PublishedRecords, publishedRecordSchema } from './published.ts';
export { type DeliveryOutcome, StagingDeliveries, TargetOutages, targetKey } from './targets.ts';
