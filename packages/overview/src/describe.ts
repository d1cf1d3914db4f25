// The read models in words and lists, shared by the CLI, the API, the status page and the demo.
import type { UsageCheckRecord } from '@imagecycle/events';
import type { CommunityView, ImageView, SeriesState } from './series-state.ts';

const day = (iso: string | undefined) => (iso ?? '').slice(0, 10);

/** Why a community image is still here, in one line: "kept: protected", "unused since ...". */
export function outlookText(image: CommunityView): string {
  switch (image.outlook) {
    case 'held':
      return `kept: ${image.because ?? ''}`;
    case 'in-use':
      // `because`: what the reaper found using it, when it last tried
      return `in use, last used ${day(image.lastUsedAt)}${image.because ? ` (${image.because})` : ''}`;
    case 'reap-after':
      return `${image.lastUsedAt ? `last used ${day(image.lastUsedAt)}, ` : ''}unused since ${day(image.unusedSince)}, reap after ${day(image.reapAfter)}`;
    case 'unchecked':
      return 'usage not checked yet';
  }
}

/**
 * The last usage check of a series in one line, without its time: "failed: <why>", or what it
 * found ("3 community, 1 in use, 1 newly unused, 1 handed to the reaper, 1 kept"), with the
 * doubt of an incomplete scan after it.
 */
export function usageCheckText(check: UsageCheckRecord): string {
  if (check.outcome === 'failed') return `failed: ${check.message ?? 'no reason recorded'}`;
  const found = `${check.communityImages} community, ${check.inUse} in use, ${check.newlyUnused} newly unused, ${check.handedToReaper} handed to the reaper, ${check.kept} kept`;
  return check.message ? `${found} (${check.message})` : found;
}

export type SeriesImage = (ImageView | CommunityView) & { series: string; target: string };

/**
 * Every managed image of these series (optionally of one lifecycle state), newest upload first,
 * each with its series and target.
 */
export function imagesOf(states: readonly SeriesState[], state?: string): SeriesImage[] {
  return states
    .flatMap((s) =>
      [...(s.latest ? [s.latest] : []), ...s.community, ...s.inFlight].map((image) => ({
        series: s.id,
        target: s.target,
        ...image,
      })),
    )
    .filter((image) => !state || image.state === state)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
