// The usage-checker's handler: one pass over servers and volumes, then at most one PATCH per
// community image whose usage record changed, and a reap job for each image that may go.
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages, scanUsage } from '@imagecycle/inventory';
import { decideUsage } from '@imagecycle/lifecycle';
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
  now?: () => Date;
  pageSize?: number;
}

export interface UsageReport {
  servers: number;
  volumes: number;
  communityImages: number;
  used: number;
  patched: number;
  reapJobs: string[];
  kept: { imageId: string; because: string }[];
}

export async function checkUsage(deps: UsageDeps): Promise<UsageReport> {
  const now = deps.now?.() ?? new Date();
  const [usage, managed] = await Promise.all([
    scanUsage(deps.nova, deps.cinder, deps.pageSize),
    listManagedImages(deps.glance, { owner: deps.owner }),
  ]);
  const report: UsageReport = {
    servers: usage.servers,
    volumes: usage.volumes,
    communityImages: 0,
    used: 0,
    patched: 0,
    reapJobs: [],
    kept: [],
  };
  for (const series of deps.series) {
    const images = managed.filter((image) => imageProperty(image, PROPERTY.series) === series.id);
    for (const decision of decideUsage(series, images, usage.usedBy, now)) {
      report.communityImages += 1;
      if (usage.usedBy.has(decision.image.id)) report.used += 1;
      const { ops } = await deps.glance.applyImage(decision.image, decision.desired);
      if (ops.length) report.patched += 1;
      if (decision.reap) {
        await deps.enqueueReap(series.id, decision.image.id);
        report.reapJobs.push(decision.image.id);
      } else if (decision.keptBecause) {
        report.kept.push({ imageId: decision.image.id, because: decision.keptBecause });
      }
    }
  }
  return report;
}
