// The API's OpenAPI 3.1 description, served at /openapi.json. The tests validate every API
// answer against these schemas, so the description cannot drift from what is served.
import { EVENT_TYPES } from '@imagecycle/events';
import { CHECK_OUTCOMES } from '@imagecycle/events';

const string = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const seriesQuery = {
  name: 'series',
  in: 'query',
  required: false,
  description: 'Series ids, comma-separated (all series when absent)',
  schema: string,
};
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});
const json = (description: string, schema: object) => ({
  description,
  content: { 'application/json': { schema } },
});

const image = {
  type: 'object',
  required: [
    'id',
    'name',
    'version',
    'state',
    'status',
    'visibility',
    'hidden',
    'protected',
    'createdAt',
  ],
  properties: {
    id: string,
    name: string,
    version: string,
    state: { description: 'candidate, latest, community or retiring', ...string },
    status: { description: "Glance's status: active, queued, saving, deactivated...", ...string },
    visibility: string,
    hidden: { type: 'boolean' },
    protected: { type: 'boolean' },
    createdAt: { description: 'first upload', ...dateTime },
    size: { type: 'integer' },
    lastUsedAt: dateTime,
    unusedSince: dateTime,
    keptBecause: string,
  },
};

const patchOps = {
  type: 'array',
  items: {
    type: 'object',
    required: ['op', 'path'],
    properties: { op: { enum: ['add', 'replace', 'remove'] }, path: string, value: {} },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'imagecycle control plane',
    version: '1',
    description:
      'The state of every series, its images, recent lifecycle events, a plan of what a run would change, and triggers. Every path but /healthz, /readyz, /metrics and /openapi.json needs basic auth or a bearer token.',
  },
  components: {
    securitySchemes: {
      basic: { type: 'http', scheme: 'basic' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: { error: string, message: string },
      },
      Image: image,
      CommunityImage: {
        allOf: [
          image,
          {
            type: 'object',
            required: ['outlook'],
            properties: {
              outlook: { enum: ['held', 'in-use', 'reap-after', 'unchecked'] },
              because: string,
              reapAfter: {
                description: 'the first daily usage check on or after this reaps it if unused',
                ...dateTime,
              },
            },
          },
        ],
      },
      CheckRecord: {
        type: 'object',
        required: ['series', 'at', 'outcome'],
        properties: {
          series: string,
          at: dateTime,
          outcome: { enum: [...CHECK_OUTCOMES] },
          version: string,
          buildDate: string,
          message: string,
        },
      },
      SeriesState: {
        type: 'object',
        required: ['id', 'title', 'retired', 'community', 'inFlight', 'reaped'],
        properties: {
          id: string,
          title: string,
          retired: { type: 'boolean' },
          replaceFrequency: string,
          upstream: {
            type: 'object',
            required: ['version', 'overdue'],
            properties: {
              version: string,
              buildDate: string,
              ageDays: { type: 'integer' },
              overdue: { type: 'boolean' },
            },
          },
          lastCheck: ref('CheckRecord'),
          latest: ref('Image'),
          community: { type: 'array', items: ref('CommunityImage') },
          inFlight: { type: 'array', items: ref('Image') },
          reaped: {
            type: 'array',
            items: {
              type: 'object',
              required: ['imageId', 'at'],
              properties: { imageId: string, at: dateTime, version: string, name: string },
            },
          },
        },
      },
      Event: {
        type: 'object',
        required: ['type', 'series', 'at'],
        properties: {
          type: { enum: [...EVENT_TYPES] },
          series: string,
          version: string,
          imageId: string,
          detail: string,
          at: dateTime,
        },
      },
      Plan: {
        type: 'object',
        required: [
          'at',
          'downloads',
          'rejected',
          'unchecked',
          'renames',
          'usage',
          'reaps',
          'scanned',
        ],
        properties: {
          at: dateTime,
          downloads: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'version', 'inFlight'],
              properties: {
                series: string,
                version: string,
                buildDate: string,
                inFlight: { type: 'boolean' },
                replaces: {
                  type: 'object',
                  required: ['imageId', 'name', 'version'],
                  properties: { imageId: string, name: string, version: string },
                },
              },
            },
          },
          rejected: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'message'],
              properties: { series: string, version: string, message: string },
            },
          },
          unchecked: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'message'],
              properties: { series: string, message: string },
            },
          },
          renames: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'imageId', 'name', 'ops'],
              properties: { series: string, imageId: string, name: string, ops: patchOps },
            },
          },
          usage: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'imageId', 'name', 'ops'],
              properties: { series: string, imageId: string, name: string, ops: patchOps },
            },
          },
          reaps: {
            type: 'array',
            items: {
              type: 'object',
              required: ['series', 'imageId', 'name', 'version'],
              properties: { series: string, imageId: string, name: string, version: string },
            },
          },
          scanned: {
            type: 'object',
            required: ['servers', 'volumes'],
            properties: { servers: { type: 'integer' }, volumes: { type: 'integer' } },
          },
        },
      },
    },
  },
  security: [{ basic: [] }, { bearer: [] }],
  paths: {
    '/api/series': {
      get: {
        summary: 'Every series with its state',
        parameters: [seriesQuery],
        responses: {
          200: json('the series', {
            type: 'object',
            required: ['series'],
            properties: { series: { type: 'array', items: ref('SeriesState') } },
          }),
          404: errorResponse('a named series is not in the catalogue'),
        },
      },
    },
    '/api/series/{id}': {
      get: {
        summary: 'One series with its state',
        parameters: [{ name: 'id', in: 'path', required: true, schema: string }],
        responses: {
          200: json('the series', ref('SeriesState')),
          404: errorResponse('not in the catalogue'),
        },
      },
    },
    '/api/images': {
      get: {
        summary: 'Managed images, newest first',
        parameters: [
          seriesQuery,
          {
            name: 'state',
            in: 'query',
            required: false,
            schema: { enum: ['candidate', 'latest', 'community', 'retiring'] },
          },
        ],
        responses: {
          200: json('the images', {
            type: 'object',
            required: ['images'],
            properties: {
              images: {
                type: 'array',
                items: {
                  allOf: [
                    ref('Image'),
                    { type: 'object', required: ['series'], properties: { series: string } },
                  ],
                },
              },
            },
          }),
          400: errorResponse('a bad query parameter'),
          404: errorResponse('a named series is not in the catalogue'),
        },
      },
    },
    '/api/events': {
      get: {
        summary: 'Recent lifecycle events, newest first',
        parameters: [
          { name: 'series', in: 'query', required: false, schema: string },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        ],
        responses: {
          200: json('the events', {
            type: 'object',
            required: ['events'],
            properties: { events: { type: 'array', items: ref('Event') } },
          }),
        },
      },
    },
    '/api/plan': {
      get: {
        summary:
          'What a run would change now, changing nothing (reads feeds, Glance, Nova, Cinder)',
        parameters: [seriesQuery],
        responses: {
          200: json('the plan', ref('Plan')),
          404: errorResponse('a named series is not in the catalogue'),
        },
      },
    },
    '/api/checks': {
      post: {
        summary: 'Check series upstream now (all when none named)',
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { series: { type: 'array', items: string } },
              },
            },
          },
        },
        responses: {
          202: json('checks enqueued', {
            type: 'object',
            required: ['enqueued'],
            properties: { enqueued: { type: 'array', items: string } },
          }),
          400: errorResponse('a malformed body'),
          404: errorResponse('a named series is not in the catalogue'),
        },
      },
    },
  },
} as const;
