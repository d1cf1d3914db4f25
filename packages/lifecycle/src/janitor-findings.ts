// What the janitor repairs in one series besides names (the desired state does those):
//   dead candidates   a candidate older than any upload takes - queued, saving or killed by
//                     a crash, or active but never verified - blocks its version for ever
//   stranded reaps    an image left `retiring` (deactivated) after its reap job gave up
// Pure: the images and the clock in, findings out. An image whose first-upload date cannot
// be read is never judged dead (a doubt keeps an image).
import { PROPERTY } from '@imagecycle/contracts';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';

/** Longer than any upload, hash check and smoke test. */
export const DEAD_CANDIDATE_AFTER_MS = 24 * 3600 * 1000;

export interface JanitorFindings {
  deadCandidates: { image: GlanceImage; because: string }[];
  strandedReaps: { image: GlanceImage; because: string }[];
}

export function janitorFindings(
  images: readonly GlanceImage[],
  now: Date,
  deadCandidateAfterMs = DEAD_CANDIDATE_AFTER_MS,
): JanitorFindings {
  const findings: JanitorFindings = { deadCandidates: [], strandedReaps: [] };
  for (const image of images) {
    const state = imageProperty(image, PROPERTY.state);
    if (state === 'candidate') {
      const created = Date.parse(image.created_at);
      if (Number.isNaN(created)) continue;
      const hours = (now.getTime() - created) / 3_600_000;
      if (now.getTime() - created > deadCandidateAfterMs)
        findings.deadCandidates.push({
          image,
          because: `a candidate (${image.status}) for ${hours.toFixed(1)} h: its upload is long over`,
        });
    } else if (state === 'retiring') {
      findings.strandedReaps.push({
        image,
        because: `retiring (${image.status}): the reap resumes at its last usage check`,
      });
    }
  }
  return findings;
}
