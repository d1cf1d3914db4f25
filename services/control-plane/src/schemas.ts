// The shapes the API answers with, in zod. The routes (api.ts) declare them as response
// schemas, so every answer is checked against them as it is sent, and /openapi.json is
// generated from them. The `id` in .meta() names the schema under components/schemas.
// The read models themselves are TypeScript interfaces in @imagecycle/overview; the checks at
// the bottom fail typechecking when a schema and its interface part ways.
import {
  checkRecordSchema,
  eventSchema,
  smokeTestRecordSchema,
  usageCheckRecordSchema,
} from '@imagecycle/events';
import type {
  CommunityView,
  ImageView,
  Plan,
  ReapedView,
  SeriesImage,
  SeriesState,
} from '@imagecycle/overview';
import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

export const errorSchema = z
  .object({
    error: z.string().describe('what went wrong, as a short code'),
    message: z.string().describe('what was at fault: the parameter or the series'),
  })
  .meta({ id: 'Error' });

const imageFields = {
  id: z.string(),
  name: z.string(),
  version: z.string(),
  state: z.string().describe('lifecycle state: candidate, verified, latest, community or retiring'),
  status: z.string().describe("Glance's status: active, queued, saving, deactivated..."),
  visibility: z.string(),
  hidden: z.boolean(),
  protected: z.boolean(),
  createdAt: timestamp.describe('first upload'),
  size: z.number().int().optional(),
  lastUsedAt: timestamp.optional(),
  unusedSince: timestamp.optional(),
  keptBecause: z.string().optional(),
};
const communityFields = {
  ...imageFields,
  outlook: z.enum(['held', 'in-use', 'reap-after', 'unchecked']),
  because: z.string().optional().describe('why held, or what the last reap attempt found'),
  reapAfter: timestamp
    .optional()
    .describe('the first daily usage check on or after this reaps it if unused'),
};

export const imageSchema = z.object(imageFields).meta({ id: 'Image' });
export const communityImageSchema = z.object(communityFields).meta({ id: 'CommunityImage' });
export const checkRecordResponse = checkRecordSchema.meta({ id: 'CheckRecord' });
export const smokeTestRecordResponse = smokeTestRecordSchema.meta({ id: 'SmokeTestRecord' });
export const usageCheckRecordResponse = usageCheckRecordSchema.meta({ id: 'UsageCheckRecord' });
export const eventResponse = eventSchema.meta({ id: 'Event' });

const reapedSchema = z.object({
  imageId: z.string(),
  at: timestamp,
  version: z.string().optional(),
  name: z.string().optional(),
});

const targetField = z
  .string()
  .describe("the target (one Glance) of the catalogue's targets: `default` when it names none");

export const seriesStateSchema = z
  .object({
    id: z.string(),
    target: targetField,
    unreadable: z
      .string()
      .optional()
      .describe(
        "why this target's Glance could not be read (one of several targets down): its images are unknown, not absent",
      ),
    title: z.string(),
    retired: z.boolean(),
    enabled: z.boolean(),
    replaceFrequency: z.string().optional(),
    upstream: z
      .object({
        version: z.string(),
        buildDate: z.string().optional(),
        ageDays: z.number().int().optional(),
        overdue: z
          .boolean()
          .describe('older than its replace_frequency promises: the upstream may be stuck'),
      })
      .optional(),
    lastCheck: checkRecordResponse.optional(),
    lastSmokeTest: smokeTestRecordResponse
      .optional()
      .describe(
        "the last smoke test of the series' candidates: passed or failed, and how long it took",
      ),
    lastUsageCheck: usageCheckRecordResponse.optional(),
    latest: imageSchema.optional(),
    community: z.array(communityImageSchema).describe('newest upload first'),
    inFlight: z
      .array(imageSchema)
      .describe(
        'candidates, verified images not yet arranged by the renamer, retiring images, anything not active',
      ),
    reaped: z.array(reapedSchema).describe('newest first'),
  })
  .meta({ id: 'SeriesState' });

/** An image with its series, as /api/images lists them. */
export const seriesImageSchema = z.union([
  z.object({ series: z.string(), target: targetField, ...communityFields }),
  z.object({ series: z.string(), target: targetField, ...imageFields }),
]);

const patchOperation = z.union([
  z.object({ op: z.enum(['add', 'replace']), path: z.string(), value: z.unknown() }),
  z.object({ op: z.literal('remove'), path: z.string() }),
]);
const imagePatch = z.object({
  series: z.string(),
  imageId: z.string(),
  name: z.string(),
  ops: z.array(patchOperation),
});

export const planSchema = z
  .object({
    target: targetField.describe('the target (one Glance) whose changes these are'),
    at: timestamp,
    downloads: z.array(
      z.object({
        series: z.string(),
        version: z.string(),
        buildDate: z.string().optional(),
        inFlight: z.boolean().describe('already queued: a check would not add another'),
        replaces: z
          .object({ imageId: z.string(), name: z.string(), version: z.string() })
          .optional()
          .describe('the Latest it would replace (then demoted to community)'),
      }),
    ),
    rejected: z.array(
      z.object({ series: z.string(), version: z.string().optional(), message: z.string() }),
    ),
    unchecked: z
      .array(z.object({ series: z.string(), message: z.string() }))
      .describe('feed checks that could not be made'),
    renames: z.array(imagePatch),
    usage: z.array(imagePatch),
    reaps: z.array(
      z.object({
        series: z.string(),
        imageId: z.string(),
        name: z.string(),
        version: z.string(),
      }),
    ),
    repairs: z
      .array(
        z.object({
          series: z.string(),
          imageId: z.string(),
          name: z.string(),
          action: z.enum(['remove-dead-candidate', 'resume-reap']),
          because: z.string(),
        }),
      )
      .describe("the janitor's repairs besides names: dead candidates, stranded reaps"),
    scanned: z.object({
      servers: z.number().int(),
      volumes: z.number().int(),
      incomplete: z.array(z.string()),
    }),
  })
  .meta({ id: 'Plan' });

/** Several targets planned at once: a plan per target, in catalogue order. */
export const planSetSchema = z
  .object({
    plans: z.array(planSchema).describe("one plan per target, in the catalogue's order"),
  })
  .meta({ id: 'Plans' });

// A schema and its interface must describe the same thing: the same keys, each required or
// optional alike, the same value types. Anything else makes one of these `true`s a type error.
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** For a union, whose members the fields above already pin down: each side fits the other. */
type Fits<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<T extends z.ZodType> = z.output<T>;
export const schemasMatchTheReadModels: [
  Same<Out<typeof imageSchema>, ImageView>,
  Same<Out<typeof communityImageSchema>, CommunityView>,
  Same<Out<typeof reapedSchema>, ReapedView>,
  Same<Out<typeof seriesStateSchema>, SeriesState>,
  Same<Out<typeof planSchema>, Plan>,
  Fits<Out<typeof seriesImageSchema>, SeriesImage>,
] = [true, true, true, true, true, true];
