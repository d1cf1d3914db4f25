// The shape of one upstream's publisher.
import type { PublishContext } from '../context.ts';
import type { Distro, PublishedRelease, PublishOptions } from '../types.ts';
import type { Day } from '../util.ts';

export interface Upstream {
  readonly distros: readonly Distro[];
  /** Mirror path of what a feed-watcher reads first for this distro. */
  feedPath(distro: Distro): string;
  /** The publishes `seed(day)` makes for this distro (EOL ones pin their frozen history). */
  seedPlan(distro: Distro, day: Day): PublishOptions[];
  /** `day` is already resolved by the mirror (options.date or its default). */
  publish(distro: Distro, day: Day, options: PublishOptions): Promise<PublishedRelease>;
  /** Take a release back: gone from the feed, its files 404 (upstreams that support it). */
  withdraw?(distro: Distro, version: string): Promise<void>;
}

export type UpstreamFactory = (ctx: PublishContext) => Upstream;

/** The first of `base`, `base<sep>1`, `base<sep>2`, ... that is not taken yet. */
export function nextRespin(base: string, taken: (v: string) => boolean, sep = '.'): string {
  if (!taken(base)) return base;
  for (let n = 1; ; n++) if (!taken(`${base}${sep}${n}`)) return `${base}${sep}${n}`;
}
