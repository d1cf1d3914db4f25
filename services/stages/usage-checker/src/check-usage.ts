// The usage-checker's handler: one pass over servers and volumes, then at most one PATCH per
// community image whose usage record changed, and a reap job for each image that may go.
// A scan that cannot prove itself complete (Cinder not admin, a cell down, ...) reaps nothing:
// each image that would have gone records why it stays, on the image and in the report.
import { PROPERTY } from '@imagecycle/contracts';
import { type ComputeRegion, listManagedImages, scanUsageInRegions } from '@imagecycle/inventory';
import { decideUsage, isIncompleteScanMark, publicKeepReason } from '@imagecycle/lifecycle';
import {
  type CinderClient,
  type GlanceClient,
  imageProperty,
  type NovaClient,
} from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

export interface UsageDeps {
  glance: GlanceClient;
  nova: NovaClient;
  cinder: CinderClient;
  /** The region of `nova` and `cinder` (named in what a scan of several regions reports). */
  region?: string;
  /**
   * Further compute regions whose servers and volumes boot from this Glance (one Glance
   * shared by several regions): their users keep an image too.
   */
  alsoIn?: readonly ComputeRegion[];
  owner: string;
  series: readonly Series[];
  enqueueReap(series: string, imageId: string): Promise<unknown>;
  /** A reap the scan's doubt held back (the reason names the doubt). */
  onWithheld?(series: string, imageId: string, because: string): Promise<unknown>;
  now?: () => Date;
  pageSize?: number;
  /** The roles Cinder's policy makes admin (default: admin); see scanUsage. */
  cinderAdminRoles?: readonly string[];
}

/** What one check found among one series' community images. */
export interface SeriesUsage {
  series: string;
  communityImages: number;
  /** Seen in use by a server or a volume (each with who, in its `kept` entry). */
  inUse: string[];
  /** Not in use and not recorded unused before: their grace period starts now. */
  newlyUnused: string[];
  /** Handed to the reaper. */
  handedToReaper: string[];
  /** Kept, and why: in use, retention, grace period, or an incomplete scan. */
  kept: { imageId: string; because: string }[];
}

export interface UsageReport {
  /** Servers counted, soft-deleted ones included. */
  servers: number;
  softDeleted: number;
  volumes: number;
  communityImages: number;
  used: number;
  patched: number;
  reapJobs: string[];
  kept: { imageId: string; because: string }[];
  /** Why the scan could not prove an image unused; no reap while it is not empty. */
  incomplete: string[];
  /** Per series checked, in catalogue order: what it found. */
  bySeries: SeriesUsage[];
}

export async function checkUsage(deps: UsageDeps): Promise<UsageReport> {
  const now = deps.now?.() ?? new Date();
  const [usage, managed] = await Promise.all([
    scanUsageInRegions(
      [
        { region: deps.region ?? 'its own region', nova: deps.nova, cinder: deps.cinder },
        ...(deps.alsoIn ?? []),
      ],
      {
        ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
        ...(deps.cinderAdminRoles ? { adminRoles: deps.cinderAdminRoles } : {}),
      },
    ),
    listManagedImages(deps.glance, { owner: deps.owner }),
  ]);
  const report: UsageReport = {
    servers: usage.servers,
    softDeleted: usage.softDeleted,
    volumes: usage.volumes,
    communityImages: 0,
    used: 0,
    patched: 0,
    reapJobs: [],
    kept: [],
    incomplete: usage.incomplete,
    bySeries: [],
  };
  // the full doubt (it may name other projects' servers) goes to the report and the event;
  // the image, visible to every project, only says that the scan was incomplete
  const doubt = usage.incomplete.length
    ? `usage scan incomplete: ${usage.incomplete.join('; ')}`
    : undefined;
  const mark = doubt && publicKeepReason(doubt, now);
  for (const series of deps.series) {
    const images = managed.filter((image) => imageProperty(image, PROPERTY.series) === series.id);
    const found: SeriesUsage = {
      series: series.id,
      communityImages: 0,
      inUse: [],
      newlyUnused: [],
      handedToReaper: [],
      kept: [],
    };
    report.bySeries.push(found);
    for (const decision of decideUsage(series, images, usage.usedBy, now)) {
      const { id } = decision.image;
      report.communityImages += 1;
      found.communityImages += 1;
      if (usage.usedBy.get(id)?.length) {
        report.used += 1;
        found.inUse.push(id);
      } else if (imageProperty(decision.image, PROPERTY.unusedSince) === undefined)
        found.newlyUnused.push(id);
      const recorded = imageProperty(decision.image, PROPERTY.keptBecause);
      const withheld = decision.reap && doubt !== undefined;
      const properties = { ...decision.desired.properties };
      if (withheld) properties[PROPERTY.keptBecause] = mark ?? null;
      // the mark of an earlier doubt goes once a scan is complete again
      else if (!doubt && isIncompleteScanMark(recorded)) properties[PROPERTY.keptBecause] = null;
      const { ops } = await deps.glance.applyImage(decision.image, {
        ...decision.desired,
        properties,
      });
      if (ops.length) report.patched += 1;
      if (withheld) {
        report.kept.push({ imageId: id, because: doubt });
        found.kept.push({ imageId: id, because: doubt });
        if (recorded !== mark) await deps.onWithheld?.(series.id, id, doubt);
      } else if (decision.reap) {
        await deps.enqueueReap(series.id, id);
        report.reapJobs.push(id);
        found.handedToReaper.push(id);
      } else if (decision.keptBecause) {
        report.kept.push({ imageId: id, because: decision.keptBecause });
        found.kept.push({ imageId: id, because: decision.keptBecause });
      }
    }
  }
  return report;
}

/** One series' findings as counts; `kept` counts images kept for another reason than use. */
export function usageCounts(found: SeriesUsage): {
  communityImages: number;
  inUse: number;
  newlyUnused: number;
  handedToReaper: number;
  kept: number;
} {
  return {
    communityImages: found.communityImages,
    inUse: found.inUse.length,
    newlyUnused: found.newlyUnused.length,
    handedToReaper: found.handedToReaper.length,
    kept: found.kept.filter((k) => !found.inUse.includes(k.imageId)).length,
  };
}

/**
 * One series' findings in words, for its `usage-checked` event: the counts, then each image
 * handed to the reaper and each kept one with why. Operators read it (events are theirs), so
 * it may name other projects' servers and volumes.
 */
export function usageSummary(found: SeriesUsage): string {
  const n = usageCounts(found);
  const counts = [
    `${n.communityImages} community image(s)`,
    `${n.inUse} in use`,
    `${n.newlyUnused} newly unused`,
    `${n.handedToReaper} handed to the reaper`,
    `${n.kept} kept`,
  ].join(', ');
  const details = [
    ...found.handedToReaper.map((id) => `${id}: handed to the reaper`),
    ...found.kept.map((k) => `${k.imageId}: ${k.because}`),
  ];
  return details.length ? `${counts}; ${details.join('; ')}` : counts;
}
