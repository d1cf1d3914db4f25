// The renamer: a reconciler. It derives the desired state of a series from its managed
// images and applies only the difference, at most one PATCH per image. Running it twice
// changes nothing; running it after a crash heals.
//
// Order: the promotion of the new Latest is applied BEFORE any demotion. Between the two
// writes two images carry the Latest name - a lookup by name still finds one (and the newest
// is also the one users want). The other order would leave a moment where the name finds
// nothing. A crash in between leaves two; the next reconcile demotes the older.
import { failpoint } from '@imagecycle/failpoints';
import { listManagedImages } from '@imagecycle/inventory';
import type { GlanceClient, PatchOperation } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { desiredState, type PublishedVersions, publishedVersions } from '@imagecycle/lifecycle';

export interface ReconcileDeps {
  glance: GlanceClient;
  owner: string;
  findSeries(id: string): Series | undefined;
}

export interface ReconcileResult {
  series: string;
  patches: number;
  changes: { imageId: string; role: 'latest' | 'community'; ops: PatchOperation[] }[];
  /** What the series has published, from this reconcile's listing (the feed-watcher's record). */
  published: PublishedVersions;
}

export async function reconcile(
  payload: { series: string },
  deps: ReconcileDeps,
): Promise<ReconcileResult> {
  const series = deps.findSeries(payload.series);
  if (!series) throw new Error(`series "${payload.series}" is not in the catalogue`);
  const images = await listManagedImages(deps.glance, { owner: deps.owner, series: series.id });
  const entries = desiredState(series, images);
  const ordered = [
    ...entries.filter((e) => e.role === 'latest'),
    ...entries.filter((e) => e.role === 'community'),
  ];
  const result: ReconcileResult = {
    series: series.id,
    patches: 0,
    changes: [],
    published: publishedVersions(images),
  };
  for (const entry of ordered) {
    const { ops } = await deps.glance.applyImage(entry.image, entry.desired);
    if (ops.length === 0) continue;
    result.patches += 1;
    result.changes.push({ imageId: entry.image.id, role: entry.role, ops });
    if (entry.role === 'latest') failpoint('renamer:after-promote');
  }
  return result;
}
