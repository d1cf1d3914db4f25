// Runs a handler on a raw payload: the one path every adapter takes (BullMQ worker,
// HTTP/lambda-style entry, tests), so a payload is always parsed before it is handled.
import type { Handler, HandlerContext, PayloadOf, QueueDefinition } from './definition.ts';
import { PayloadError } from './errors.ts';

export function parsePayload<Q extends QueueDefinition>(queue: Q, raw: unknown): PayloadOf<Q> {
  const parsed = queue.payload.safeParse(raw);
  if (!parsed.success) throw new PayloadError(queue.name, parsed.error.issues);
  return parsed.data as PayloadOf<Q>;
}

export async function invokeHandler<Q extends QueueDefinition, Result>(
  queue: Q,
  handler: Handler<Q, Result>,
  raw: unknown,
  context: HandlerContext,
): Promise<Result> {
  return handler(parsePayload(queue, raw), context);
}
