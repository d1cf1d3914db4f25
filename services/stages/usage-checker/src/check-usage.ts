// The usage-checker's handler: one pass over servers and volumes, then at most one PATCH per
// community image whose usage record changed, and a reap job for each image that may go.
// A scan that cannot prove itself complete (Cinder not admin, a cell down, ...) reaps nothing:
// each image that would have gone records why it stays, on the image and in the report.
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages, scanUsage } from '@imagecycle/inventory';
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
}

export async function checkUsage(deps: UsageDeps): Promise<UsageReport> {
  const now = deps.now?.() ?? new Date();
  const [usage, managed] = await Promise.all([
    scanUsage(deps.nova, deps.cinder, {
      ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
      ...(deps.cinderAdminRoles ? { adminRoles: deps.cinderAdminRoles } : {}),
    }),
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
  };
  // the full doubt (it may name other projects' servers) goes to the report and the event;
  // the image, visible to every project, only says that the scan was incomplete
  const doubt = usage.incomplete.length
    ? `usage scan incomplete: ${usage.incomplete.join('; ')}`
    : undefined;
  const mark = doubt && publicKeepReason(doubt, now);
  for (const series of deps.series) {
    const images = managed.filter((image) => imageProperty(image, PROPERTY.series) === series.id);
    for (const decision of decideUsage(series, images, usage.usedBy, now)) {
      report.communityImages += 1;
      if (usage.usedBy.has(decision.image.id)) report.used += 1;
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
        report.kept.push({ imageId: decision.image.id, because: doubt });
        if (recorded !== mark) await deps.onWithheld?.(series.id, decision.image.id, doubt);
      } else if (decision.reap) {
        await deps.enqueueReap(series.id, decision.image.id);
        report.reapJobs.push(decision.image.id);
      } else if (decision.keptBecause) {
        report.kept.push({ imageId: decision.image.id, because: decision.keptBecause });
      }
    }
  }
  return report;
}
