// One declaration per queue: its name, its payload schema, its default job options and,
// where a payload names a unit of work that must never run twice at once, its job id.
// Typed enqueueing and typed handlers are derived from the declaration.
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';

export interface QueueDefinition<
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
> {
  readonly name: Name;
  readonly description: string;
  readonly payload: Schema;
  readonly defaultJobOptions: JobsOptions;
  /** A deterministic id: two producers enqueueing the same work get one job. */
  jobId?(payload: z.output<Schema>): string;
}

/** A declaration whose jobs always have a deterministic id. */
export type KeyedQueueDefinition<Name extends string, Schema extends z.ZodType> = QueueDefinition<
  Name,
  Schema
> & {
  jobId(payload: z.output<Schema>): string;
};

export function defineQueue<const Name extends string, Schema extends z.ZodType>(
  definition: KeyedQueueDefinition<Name, Schema>,
): KeyedQueueDefinition<Name, Schema>;
export function defineQueue<const Name extends string, Schema extends z.ZodType>(
  definition: QueueDefinition<Name, Schema>,
): QueueDefinition<Name, Schema>;
export function defineQueue(definition: QueueDefinition): QueueDefinition {
  return definition;
}

export type PayloadOf<Q extends QueueDefinition> = z.output<Q['payload']>;

/** What a handler may do besides computing its result. */
export interface HandlerContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  queue: string;
  /** Reports progress (0-100, or an object such as bytes done/total) to Bull Board; an
   * object with numeric `bytes` and `total` is drawn as that percentage. */
  progress(value: number | Record<string, number | string>): Promise<void>;
  /** Aborted when the worker shuts down past its drain deadline. */
  signal: AbortSignal;
}

export type Handler<Q extends QueueDefinition, Result = unknown> = (
  payload: PayloadOf<Q>,
  context: HandlerContext,
) => Promise<Result>;

/** Job ids may not contain ':' in BullMQ; this keeps ids readable and safe. */
export function jobIdFrom(...parts: string[]): string {
  return parts.map((part) => part.replace(/[^A-Za-z0-9._-]/g, '_')).join('--');
}
