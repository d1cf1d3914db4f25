// The control plane's API (inside the authenticated scope): series with their state, images,
// recent events, a plan, and check triggers. Inputs are checked with zod; every error answer
// is { error, message } naming what was wrong. The shapes are described in openapi.ts.
import { UnknownSeriesError } from '@imagecycle/series-catalogue';
import { LIFECYCLE_STATES } from '@imagecycle/contracts';
import type { Events } from '@imagecycle/events';
import { imagesOf, type Plan, type SeriesState } from '@imagecycle/overview';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/** What the API reads and does; the composition provides it, tests may too. */
export interface ControlPlaneViews {
  /** Throws an UnknownSeriesError for a series not in the catalogue. */
  series(only: readonly string[]): Promise<SeriesState[]>;
  plan(only: readonly string[]): Promise<Plan>;
  /** Enqueues a feed check of each (all when empty); returns the series checked. */
  trigger(only: readonly string[]): Promise<string[]>;
}

const seriesList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const imagesQuery = z.object({
  series: seriesList,
  state: z.enum(LIFECYCLE_STATES).optional(),
});
const eventsQuery = z.object({
  series: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const checksBody = z.object({ series: z.array(z.string().min(1)).default([]) }).strict();

function badRequest(reply: FastifyReply, where: string, error: z.ZodError) {
  const message = error.issues
    .map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`)
    .join('; ');
  return reply.code(400).send({ error: 'bad-request', message });
}

/** Maps a thrown UnknownSeriesError to 404; rethrows anything else. */
async function orNotFound<T>(
  reply: FastifyReply,
  work: () => Promise<T>,
): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof UnknownSeriesError)) throw error;
    return reply.code(404).send({ error: 'unknown-series', message: error.message });
  }
}

export function registerApi(
  scope: FastifyInstance,
  views: ControlPlaneViews,
  events: Events,
): void {
  scope.get('/api/series', async (request, reply) => {
    const query = z.object({ series: seriesList }).safeParse(request.query);
    if (!query.success) return badRequest(reply, 'query', query.error);
    return orNotFound(reply, async () => ({ series: await views.series(query.data.series) }));
  });

  scope.get('/api/series/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return orNotFound(reply, async () => (await views.series([id]))[0]);
  });

  scope.get('/api/images', async (request, reply) => {
    const query = imagesQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, 'query', query.error);
    return orNotFound(reply, async () => ({
      images: imagesOf(await views.series(query.data.series), query.data.state),
    }));
  });

  scope.get('/api/events', async (request, reply) => {
    const query = eventsQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, 'query', query.error);
    return { events: await events.recent(query.data.limit, query.data.series) };
  });

  scope.get('/api/plan', async (request, reply) => {
    const query = z.object({ series: seriesList }).safeParse(request.query);
    if (!query.success) return badRequest(reply, 'query', query.error);
    return orNotFound(reply, () => views.plan(query.data.series));
  });

  scope.post('/api/checks', async (request, reply) => {
    const body = checksBody.safeParse(request.body ?? {});
    if (!body.success) return badRequest(reply, 'body', body.error);
    return orNotFound(reply, async () => {
      const enqueued = await views.trigger(body.data.series);
      return reply.code(202).send({ enqueued });
    });
  });
}
