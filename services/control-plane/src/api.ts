// The control plane's API, a fastify plugin registered inside the authenticated scope: series
// with their state, images, recent events, a plan, and check triggers. Each route declares
// its inputs and every answer in zod (schemas.ts); fastify checks the inputs and the answers
// against them, and /openapi.json is generated from them (openapi.ts). Every error answer is
// { error, message }, the message naming what was wrong.
import { UnknownSeriesError, UnknownTargetError } from '@imagecycle/series-catalogue';
import { LIFECYCLE_STATES } from '@imagecycle/contracts';
import type { Events } from '@imagecycle/events';
import { imagesOf, type Plan, type SeriesState } from '@imagecycle/overview';
import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import {
  type FastifyPluginAsyncZod,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  errorSchema,
  eventResponse,
  planSchema,
  planSetSchema,
  seriesImageSchema,
  seriesStateSchema,
} from './schemas.ts';

/** What the API reads and does; the composition provides it, tests may too. */
export interface ControlPlaneViews {
  /**
   * The state of each series in each target (or the named one). Throws an UnknownSeriesError
   * for a series not in the catalogue, an UnknownTargetError for a target not in it.
   */
  series(only: readonly string[], target?: string): Promise<SeriesState[]>;
  /** A plan per target (or of the named one), in catalogue order. */
  plan(only: readonly string[], target?: string): Promise<Plan[]>;
  /**
   * The series whose targets disagree on their Latest, and whether for longer than allowed
   * (empty with a single target).
   */
  disagreements?(): Promise<{ series: string; overdue: boolean }[]>;
  /** Enqueues a feed check of each (all when empty); returns the series checked. */
  trigger(only: readonly string[]): Promise<string[]>;
  /**
   * Enqueues one usage check per target (or in the named one) of these series' community
   * images (all when empty). An unknown target is an UnknownTargetError.
   */
  usageCheck(only: readonly string[], target?: string): Promise<JobsEnqueued>;
  /** Enqueues one janitor pass per target (or in the named one) over these series (all, and staging, when empty). */
  janitorRun(only: readonly string[], target?: string): Promise<JobsEnqueued>;
}

/** Jobs enqueued by a trigger, one per target. */
export interface JobsEnqueued {
  job: string;
  jobs: { target: string; job: string }[];
  series: string[];
}

export interface ApiOptions {
  views: ControlPlaneViews;
  events: Pick<Events, 'recent'>;
}

/** Both ways in: basic auth or a bearer token (the schemes are declared in openapi.ts). */
const security: { [scheme: string]: string[] }[] = [{ basic: [] }, { bearer: [] }];

const seriesList = z
  .string()
  .optional()
  .describe('series ids, comma-separated (all series when absent)')
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** ?target=: one of the catalogue's targets (every target when absent). */
const targetQuery = z
  .string()
  .min(1)
  .optional()
  .describe("only this target, one of the catalogue's targets (every target when absent)");

/** The body of every trigger: the series to act on, all when none (the body may be left out). */
const seriesBody = z
  .object({ series: z.array(z.string().min(1)).default([]) })
  .strict()
  // fastify hands an absent body to the validator as null
  .nullable();

/** The body of a job's trigger: the series, and the target (every target when none). */
const jobBody = z
  .object({
    series: z.array(z.string().min(1)).default([]),
    target: z.string().min(1).optional().describe("one of the catalogue's targets; all when none"),
  })
  .strict()
  .nullable();

/** What a trigger of one job per target answers: the jobs' ids (Bull Board shows them) and the series. */
const jobEnqueued = z
  .object({
    job: z.string().describe("the first target's job id, as Bull Board shows it"),
    jobs: z.array(z.object({ target: z.string(), job: z.string() })).describe('one job per target'),
    series: z.array(z.string()).describe('the series the jobs cover'),
  })
  .meta({ id: 'JobEnqueued' });

const answer = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
});
const unauthorized = answer('no or wrong credentials');
const badRequest = (what: string) => answer(`${what}; the message names it`);
const unknownSeries = answer('a named series is not in the catalogue');
const unknownSeriesOrTarget = answer('a named series or target is not in the catalogue');

/**
 * The plan document: one target's Plan when one target is planned (a deployment that names
 * none or one, or ?target=), else { plans } with one per target.
 */
function planDocument(plans: Plan[]): Plan | { plans: Plan[] } {
  const [only] = plans;
  return plans.length === 1 && only ? only : { plans };
}

/** "query.limit: Too small: ..." from fastify's validation error (instancePath "/limit"). */
function describeInvalid(
  context: string | undefined,
  issues: readonly FastifySchemaValidationError[],
): string {
  const where = context === 'querystring' ? 'query' : (context ?? 'request');
  return issues
    .map((issue) => {
      const path = issue.instancePath.split('/').filter(Boolean);
      return `${[where, ...path].join('.')}: ${issue.message ?? 'invalid'}`;
    })
    .join('; ');
}

// fastify's plugin contract: an async function (instance, options); nothing in it awaits
// eslint-disable-next-line @typescript-eslint/require-await
export const api: FastifyPluginAsyncZod<ApiOptions> = async (app, { views, events }) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler<FastifyError>((error, _request, reply) => {
    if (error instanceof UnknownSeriesError)
      return reply.code(404).send({ error: 'unknown-series', message: error.message });
    if (error instanceof UnknownTargetError)
      return reply.code(404).send({ error: 'unknown-target', message: error.message });
    if (error.validation)
      return reply.code(400).send({
        error: 'bad-request',
        message: describeInvalid(error.validationContext, error.validation),
      });
    throw error;
  });

  app.get(
    '/api/series',
    {
      schema: {
        summary: 'Every series with its state in each target',
        security,
        querystring: z.object({ series: seriesList, target: targetQuery }),
        response: {
          200: z
            .object({ series: z.array(seriesStateSchema) })
            .describe('the series, target by target in catalogue order'),
          400: badRequest('a malformed query parameter'),
          401: unauthorized,
          404: unknownSeriesOrTarget,
        },
      },
    },
    async (request) => ({
      series: await views.series(request.query.series, request.query.target),
    }),
  );

  app.get(
    '/api/series/:id',
    {
      schema: {
        summary:
          "One series with its state in one target: the named one, else the catalogue's first",
        security,
        params: z.object({ id: z.string().describe('the series id') }),
        querystring: z.object({ target: targetQuery }),
        response: {
          200: {
            description: 'the series',
            content: { 'application/json': { schema: seriesStateSchema } },
          },
          400: badRequest('a malformed query parameter'),
          401: unauthorized,
          404: answer('the series or the target is not in the catalogue'),
        },
      },
    },
    async (request) => {
      const [state] = await views.series([request.params.id], request.query.target);
      if (!state) throw new UnknownSeriesError(`not in the catalogue: ${request.params.id}`);
      return state;
    },
  );

  app.get(
    '/api/images',
    {
      schema: {
        summary: 'Managed images, newest first',
        security,
        querystring: z.object({
          series: seriesList,
          state: z.enum(LIFECYCLE_STATES).optional().describe('only images in this state'),
          target: targetQuery,
        }),
        response: {
          200: z
            .object({ images: z.array(seriesImageSchema) })
            .describe('the images, each with its series and target'),
          400: badRequest('a bad query parameter'),
          401: unauthorized,
          404: unknownSeriesOrTarget,
        },
      },
    },
    async (request) => ({
      images: imagesOf(
        await views.series(request.query.series, request.query.target),
        request.query.state,
      ),
    }),
  );

  app.get(
    '/api/events',
    {
      schema: {
        summary: 'Recent lifecycle events, newest first',
        security,
        querystring: z.object({
          series: z.string().min(1).optional().describe('only events of this series'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ events: z.array(eventResponse) }).describe('the events'),
          400: badRequest('a bad query parameter'),
          401: unauthorized,
        },
      },
    },
    async (request) => ({
      events: await events.recent(request.query.limit, request.query.series),
    }),
  );

  app.get(
    '/api/plan',
    {
      schema: {
        summary:
          'What a run would change now, changing nothing (reads feeds, Glance, Nova, Cinder): the Plan of the one target planned, or { plans } with a Plan per target when the catalogue names several and ?target= none',
        security,
        querystring: z.object({ series: seriesList, target: targetQuery }),
        response: {
          200: {
            description: 'the plan: one Plan, or a Plan per target',
            content: { 'application/json': { schema: z.union([planSchema, planSetSchema]) } },
          },
          400: badRequest('a malformed query parameter'),
          401: unauthorized,
          404: unknownSeriesOrTarget,
        },
      },
    },
    async (request) => planDocument(await views.plan(request.query.series, request.query.target)),
  );

  app.post(
    '/api/checks',
    {
      schema: {
        summary: 'Check series upstream now (all when none named; the body may be left out)',
        security,
        body: seriesBody,
        response: {
          202: z.object({ enqueued: z.array(z.string()) }).describe('checks enqueued'),
          400: badRequest('a malformed body'),
          401: unauthorized,
          404: unknownSeries,
        },
      },
    },
    async (request, reply) => {
      const enqueued = await views.trigger(request.body?.series ?? []);
      return reply.code(202).send({ enqueued });
    },
  );

  /** A route that enqueues one job over the named series (all when none) and answers 202. */
  const jobRoute = (
    path: string,
    summary: string,
    enqueued: string,
    enqueue: (series: string[], target: string | undefined) => Promise<unknown>,
  ) =>
    app.post(
      path,
      {
        schema: {
          summary,
          security,
          body: jobBody,
          response: {
            202: {
              description: enqueued,
              content: { 'application/json': { schema: jobEnqueued } },
            },
            400: badRequest('a malformed body'),
            401: unauthorized,
            404: unknownSeriesOrTarget,
          },
        },
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(await enqueue(request.body?.series ?? [], request.body?.target ?? undefined)),
    );
  jobRoute(
    '/api/usage-checks',
    'Check the usage of the community images of some series now (all when none named; the body may be left out): one scan of every server and volume',
    'the usage check enqueued',
    (series, target) => views.usageCheck(series, target),
  );
  jobRoute(
    '/api/janitor-runs',
    'One janitor pass now over some series (over all, and staging, when none named; the body may be left out)',
    'the janitor pass enqueued',
    (series, target) => views.janitorRun(series, target),
  );
};
