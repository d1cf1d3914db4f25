// The janitor: daily, at start-up (so after every catalogue change) and on demand, it
// compares Glance with the catalogue for every series and repairs what it finds:
//   names and properties  that differ from the desired state -> a reconcile of the series
//                         (the renamer applies it; a retired series is demoted there)
//   dead candidates       candidates older than any upload -> deleted, after a re-read shows
//                         they are still unpromoted candidates and their release's upload
//                         job is not still waiting, delayed or running (a retried upload may
//                         resume the very candidate; a doubt keeps it)
//   stranded reaps        images left `retiring` -> their reap resumes (the reaper deletes
//                         them if still unused, or reactivates them)
// and it reports what each series has published, which the feed-watcher's record is refreshed
// from (an image deleted by hand drops out of it, and the next feed check fetches it again).
// On a healthy cloud it writes nothing and enqueues nothing: one Glance listing, that is all.
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import {
  desiredState,
  janitorFindings,
  type PublishedVersions,
  publishedVersions,
} from '@imagecycle/lifecycle';
import { diffImage, type GlanceClient, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

export interface JanitorDeps {
  glance: GlanceClient;
  owner: string;
  /** Every series of the catalogue. */
  series: readonly Series[];
  now?: () => Date;
  /** Asks the renamer to converge the names and properties of a series. */
  enqueueReconcile(series: string, reason: string): Promise<unknown>;
  /** Starts the reap of a retiring image again, also after its job failed for good. */
  resumeReap(series: string, imageId: string): Promise<unknown>;
  /**
   * The state of the upload job of a release while it is still to run or running (waiting,
   * delayed, active, ...), undefined when there is none or it is over. A candidate whose
   * upload is pending is never deleted. Without it, only Glance decides.
   */
  uploadPending?: (series: string, version: string) => Promise<string | undefined>;
  /** Removes staging directories of finished or abandoned releases; returns them. */
  cleanStaging?: () => Promise<string[]>;
  deadCandidateAfterMs?: number;
}

export interface JanitorReport {
  series: number;
  /** Series whose names or properties differed: a reconcile was enqueued. */
  reconciled: { series: string; images: number }[];
  removedCandidates: { series: string; imageId: string; because: string }[];
  /** Candidates old enough to be dead that were kept: their upload job is not over. */
  keptCandidates: { series: string; imageId: string; because: string }[];
  resumedReaps: { series: string; imageId: string }[];
  removedStaging: string[];
  /**
   * What each series checked has published, from this pass's listing (dead candidates it
   * removed left out): the feed-watcher's record, refreshed daily.
   */
  published: ({ series: string } & PublishedVersions)[];
}

export async function tidy(
  payload: { series?: readonly string[] | undefined },
  deps: JanitorDeps,
): Promise<JanitorReport> {
  const now = deps.now?.() ?? new Date();
  const only = payload.series ?? [];
  const selected = deps.series.filter((s) => only.length === 0 || only.includes(s.id));
  const managed = await listManagedImages(deps.glance, { owner: deps.owner });
  const report: JanitorReport = {
    series: selected.length,
    reconciled: [],
    removedCandidates: [],
    keptCandidates: [],
    resumedReaps: [],
    removedStaging: [],
    published: [],
  };

  for (const series of selected) {
    const images = managed.filter((i) => imageProperty(i, PROPERTY.series) === series.id);
    const differing = desiredState(series, images).filter(
      (entry) => diffImage(entry.image, entry.desired).length > 0,
    );
    if (differing.length > 0) {
      await deps.enqueueReconcile(
        series.id,
        `janitor: ${differing.length} image(s) differ from the desired state`,
      );
      report.reconciled.push({ series: series.id, images: differing.length });
    }

    const findings = janitorFindings(images, now, deps.deadCandidateAfterMs);
    for (const { image, because } of findings.deadCandidates) {
      // Re-read: an upload that finished since the listing may have promoted it.
      const current = await deps.glance.findImage(image.id);
      if (!current || imageProperty(current, PROPERTY.state) !== 'candidate') continue;
      if (current.visibility !== 'private' || current.os_hidden !== true) continue;
      // Asked last, right before the delete: an upload job still waiting, delayed (its retry
      // backoff) or running may be working on this very candidate.
      const version = imageProperty(current, PROPERTY.version);
      const upload =
        version === undefined ? undefined : await deps.uploadPending?.(series.id, version);
      if (upload !== undefined) {
        report.keptCandidates.push({
          series: series.id,
          imageId: image.id,
          because: `its upload job is ${upload}`,
        });
        continue;
      }
      await deps.glance.deleteImage(image.id);
      report.removedCandidates.push({ series: series.id, imageId: image.id, because });
    }
    for (const { image } of findings.strandedReaps) {
      await deps.resumeReap(series.id, image.id);
      report.resumedReaps.push({ series: series.id, imageId: image.id });
    }
    const removed = new Set(
      report.removedCandidates.filter((r) => r.series === series.id).map((r) => r.imageId),
    );
    report.published.push({
      series: series.id,
      ...publishedVersions(images.filter((i) => !removed.has(i.id))),
    });
  }
  if (only.length === 0 && deps.cleanStaging) report.removedStaging = await deps.cleanStaging();
  return report;
}
