// One declaration per queue: its name, its payload schema, its default job options, how many
// jobs one worker runs at once and, where a payload names a unit of work that must never run
// twice at once, its job id. Typed enqueueing and typed handlers are derived from it.
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { encodeKey } from './keys.ts';

export interface QueueDefinition<
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
> {
  readonly name: Name;
  readonly description: string;
  readonly payload: Schema;
  readonly defaultJobOptions: JobsOptions;
  /** Jobs one worker of this queue runs at once, unless the operator overrides it. */
  readonly concurrency: number;
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

/** A payload as a handler receives it: parsed, its defaults filled in. */
export type PayloadOf<Q extends QueueDefinition> = z.output<Q['payload']>;
/** A payload as it may be enqueued: fields with a default may be left out. */
export type PayloadInput<Q extends QueueDefinition> = z.input<Q['payload']>;

/** What a handler may do besides computing its result. */
export interface HandlerContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  queue: string;
  /** Reports progress (0-100, or an object such as bytes done/total) to Bull Board; an
   * object with numeric `bytes` and `total` is drawn as that percentage. */
  progress(value: number | Record<string, number | string>): Promise<void>;
  /**
   * Aborted when the worker shuts down past its drain deadline (or BullMQ's cancelJob): pass
   * it into every wait and request. However the handler then stops, the runtime puts the job
   * back in its queue - not a failed attempt - for another worker to take over.
   */
  signal: AbortSignal;
}

export type Handler<Q extends QueueDefinition, Result = unknown> = (
  payload: PayloadOf<Q>,
  context: HandlerContext,
) => Promise<Result>;

/**
 * A handler for every queue of `Queues` and for nothing else: a missing queue is a compile
 * error, and so is an extra one (an excess property of the object literal).
 */
export type HandlerMap<Queues extends readonly QueueDefinition[]> = {
  readonly [Q in Queues[number] as Q['name']]: Handler<Q>;
};

/** What the runtime accepts at run time: any handler under a queue's name (checked there). */
export type HandlerTable = Readonly<
  Record<string, (payload: never, context: HandlerContext) => Promise<unknown>>
>;

/**
 * A job id from its parts, e.g. `download--ubuntu-24.04--20261120.1`: each part encoded
 * losslessly (`encodeKey`: no ':', which BullMQ forbids, and never "--" inside a part), so
 * two different units of work never share an id and `id.split('--').map(decodeKey)` gives
 * the parts back.
 */
export function jobIdFrom(...parts: string[]): string {
  return parts.map(encodeKey).join('--');
}
