// The reaper: deletes one community image by a guarded protocol.
//   guards -> usage check -> retiring + deactivate (no new boots) -> settle -> usage check
//   -> delete, or reactivate and record why it stays.
// A job that dies anywhere, or is cancelled (its signal aborted by a shutdown), may simply
// run again: a retiring, deactivated image resumes at the settle step. Never a Latest, a
// candidate or verified image, a protected image, an image without the imagecycle tag or of
// another owner, or one inside the retention floor.
import { setTimeout as sleep } from 'node:timers/promises';
import { PROPERTY } from '@imagecycle/contracts';
import { failpoint } from '@imagecycle/failpoints';
import { type ComputeRegion, listManagedImages, scanUsageInRegions } from '@imagecycle/inventory';
import {
  newestUploadFirst,
  publicKeepReason,
  REAPABLE_STATES,
  reapRefusal,
} from '@imagecycle/lifecycle';
import {
  type CinderClient,
  type GlanceClient,
  type GlanceImage,
  imageProperty,
  type NovaClient,
} from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

export interface ReapDeps {
  glance: GlanceClient;
  nova: NovaClient;
  cinder: CinderClient;
  /** The region of `nova` and `cinder` (named in what a scan of several regions reports). */
  region?: string;
  /** Further compute regions whose servers and volumes boot from this Glance. */
  alsoIn?: readonly ComputeRegion[];
  owner: string;
  findSeries(id: string): Series | undefined;
  /** Between deactivation and the final check (default 10 minutes). */
  settleMs?: number;
  /** Report what would be deleted; change nothing. */
  dryRun?: boolean;
  /** The settle wait (default: a timer that the signal ends). */
  wait?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  now?: () => Date;
  /** The roles Cinder's policy makes admin (default: admin); see scanUsage. */
  cinderAdminRoles?: readonly string[];
  /** The job's: aborting it ends the settle wait and every request, throwing its reason. */
  signal?: AbortSignal;
  /** Told when this reap resumes one an earlier attempt left at its settle step. */
  onRecovered?: (what: { imageId: string; detail: string }) => Promise<unknown>;
}

export type ReapOutcome =
  | { imageId: string; outcome: 'deleted'; name: string; version: string }
  | { imageId: string; outcome: 'would-delete'; name: string; version: string }
  | { imageId: string; outcome: 'kept'; because: string }
  | { imageId: string; outcome: 'refused'; because: string }
  | { imageId: string; outcome: 'gone' };

/**
 * Why the image must stay because of its usage, or undefined when nothing uses it: servers
 * (Nova's image filter, soft-deleted ones included) and volumes made from it. A scan that
 * cannot prove itself complete (Cinder not admin, a cell that does not answer) keeps it too.
 */
export async function usageHold(
  deps: Pick<ReapDeps, 'nova' | 'cinder' | 'region' | 'alsoIn' | 'cinderAdminRoles'>,
  imageId: string,
): Promise<string | undefined> {
  const scan = await scanUsageInRegions(
    [
      { region: deps.region ?? 'its own region', nova: deps.nova, cinder: deps.cinder },
      ...(deps.alsoIn ?? []),
    ],
    {
      image: imageId,
      ...(deps.cinderAdminRoles ? { adminRoles: deps.cinderAdminRoles } : {}),
    },
  );
  if (scan.incomplete.length) return `usage scan incomplete: ${scan.incomplete.join('; ')}`;
  const users = scan.usedBy.get(imageId);
  return users?.length ? `in use by ${users.join(', ')}` : undefined;
}

/** Why this image must never be reaped, or undefined when it may be (the lifecycle's guard). */
async function guard(
  deps: ReapDeps,
  image: GlanceImage,
  seriesId: string,
): Promise<string | undefined> {
  const series = deps.findSeries(seriesId);
  const now = deps.now?.() ?? new Date();
  const context = { owner: deps.owner, seriesId, series, rank: -1, now };
  // Every rule but the newest-N floor first: only that one needs the series' listing.
  const refusal = reapRefusal(image, context);
  if (refusal || !series || series.retention.keepLast === 0) return refusal;
  const reapable = (await listManagedImages(deps.glance, { owner: deps.owner, series: seriesId }))
    .filter((i) => REAPABLE_STATES.has(imageProperty(i, PROPERTY.state) ?? ''))
    .sort(newestUploadFirst);
  return reapRefusal(image, { ...context, rank: reapable.findIndex((i) => i.id === image.id) });
}

/** The settle wait: a timer that an abort of `signal` ends at once, with its reason. */
async function settle(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

export async function reap(
  payload: { series: string; imageId: string },
  unbound: ReapDeps,
): Promise<ReapOutcome> {
  const { signal } = unbound;
  // Every request of this reap ends when the job is cancelled; there is nothing to undo:
  // whatever step it stopped at, the next attempt starts over from the guards.
  const deps: ReapDeps = signal
    ? {
        ...unbound,
        glance: unbound.glance.withSignal(signal),
        nova: unbound.nova.withSignal(signal),
        cinder: unbound.cinder.withSignal(signal),
        ...(unbound.alsoIn
          ? {
              alsoIn: unbound.alsoIn.map((r) => ({
                region: r.region,
                nova: r.nova.withSignal(signal),
                cinder: r.cinder.withSignal(signal),
              })),
            }
          : {}),
      }
    : unbound;
  const { imageId } = payload;
  const image = await deps.glance.findImage(imageId);
  if (!image) return { imageId, outcome: 'gone' };
  const refusal = await guard(deps, image, payload.series);
  if (refusal) return { imageId, outcome: 'refused', because: refusal };
  // Retiring and deactivated: an earlier attempt got as far as the settle step. Said out loud,
  // so a crash is never silently recovered.
  if (
    !deps.dryRun &&
    image.status === 'deactivated' &&
    imageProperty(image, PROPERTY.state) === 'retiring'
  )
    await deps.onRecovered?.({
      imageId,
      detail:
        'resuming a reap an earlier attempt left at its settle step (retiring, deactivated): usage check, settle, usage check',
    });

  const keep = async (because: string): Promise<ReapOutcome> => {
    if (!deps.dryRun) {
      // Only the reaper's own deactivation is undone: it marks an image `retiring` before it
      // deactivates it. An image an operator deactivated stays as the operator left it.
      const current = await deps.glance.getImage(imageId);
      if (current.status === 'deactivated' && imageProperty(current, PROPERTY.state) === 'retiring')
        await deps.glance.reactivateImage(imageId);
      await deps.glance.applyImage(current, {
        properties: {
          [PROPERTY.state]: 'community',
          // visible to every project: never other projects' servers (the event has them)
          [PROPERTY.keptBecause]: publicKeepReason(because, deps.now?.() ?? new Date()),
          [PROPERTY.unusedSince]: null,
        },
      });
    }
    return { imageId, outcome: 'kept', because };
  };

  // What the image was, for the record once it is gone.
  const was = { name: image.name ?? '', version: imageProperty(image, PROPERTY.version) ?? '' };
  const before = await usageHold(deps, imageId);
  if (before) return keep(before);
  if (deps.dryRun) return { imageId, outcome: 'would-delete', ...was };

  await deps.glance.applyImage(image, { properties: { [PROPERTY.state]: 'retiring' } });
  if (image.status !== 'deactivated') await deps.glance.deactivateImage(imageId);
  failpoint('reaper:after-deactivate');
  await (deps.wait ?? settle)(deps.settleMs ?? 10 * 60_000, signal);
  signal?.throwIfAborted(); // a `wait` that ignored the signal

  const after = await usageHold(deps, imageId);
  if (after) return keep(`${after} (found after deactivation)`);
  await deps.glance.deleteImage(imageId);
  return { imageId, outcome: 'deleted', ...was };
}
