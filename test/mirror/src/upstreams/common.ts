// The shape of one upstream's publisher.
import type { PublishContext } from '../context.ts';
import type { Distro, PublishedRelease, PublishOptions } from '../types.ts';
import { sha256, type Day } from '../util.ts';

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

/** One line of a checksum list: a served artifact, an alias of one, or a listed-only file. */
export interface Listed {
  name: string;
  sha256: string;
  size: number;
}

/**
 * A file the real upstream lists beside the images (Vagrant boxes, cloud-vendor and
 * container images, other architectures) that the mirror lists but does not serve: a
 * well-formed, made-up digest and a plausible size, stable for the same seed.
 */
export function listedOnly(name: string, seed: string, typicalSize = 900 * 1024 ** 2): Listed {
  const hex = sha256(`listed-only ${seed} ${name}`);
  return { name, sha256: hex, size: typicalSize + (parseInt(hex.slice(0, 8), 16) % 65_536) * 4096 };
}

/** The same file under an alias name (`latest`, unversioned): same digest and size. */
export function aliasOf(file: Listed, name: string): Listed {
  return { name, sha256: file.sha256, size: file.size };
}
