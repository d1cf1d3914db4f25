export {
  Events,
  eventSchema,
  EVENT_TYPES,
  type LifecycleEvent,
  type EventsOptions,
  type EventLogger,
} from './events.ts';
