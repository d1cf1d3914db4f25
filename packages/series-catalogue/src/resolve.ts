// From the validated zod output to the resolved Catalogue: defaults merged into each series.
import { DEFAULT_TARGET } from '@imagecycle/contracts';
import type { CatalogueOutput } from './schema.ts';
import { resolveSmokeTest } from './smoke-test.ts';
import type { Catalogue, FeedConfig, GlanceProperties, Series } from './types.ts';

type SeriesOutput = CatalogueOutput['series'][string];

/** `filePattern` anchored: the whole file name must match. */
export function anchorPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function resolveFeed(feed: SeriesOutput['feed'], id: string): FeedConfig {
  switch (feed.kind) {
    case 'checksum-list':
      return { ...feed, fileRegExp: anchorPattern(feed.filePattern) };
    case 'build-manifest':
      return { ...feed, product: feed.product ?? id };
    default:
      return feed;
  }
}

export function resolveCatalogue(data: CatalogueOutput, file: string): Catalogue {
  const defaults = data.defaults;
  const series: Series[] = Object.entries(data.series).map(([id, s]): Series => {
    // provided_until promises the name until the end of life the catalogue gives
    const properties: GlanceProperties = {
      ...defaults.properties,
      ...s.properties,
      ...(s.endOfLife !== undefined ? { provided_until: s.endOfLife } : {}),
    };
    return {
      id,
      title: s.title,
      naming: data.naming,
      vendor: data.vendor,
      feed: resolveFeed(s.feed, id),
      signature: {
        policy: s.signature.policy,
        keyring: s.signature.keyring,
        // an empty fingerprint (a disabled series' unset variable) pins nothing
        fingerprints: (s.signature.fingerprints ?? []).filter((f) => f !== ''),
      },
      properties,
      minDisk: s.minDisk,
      minRam: s.minRam,
      retention: {
        keepLast: s.retention?.keepLast ?? defaults.retention.keepLast,
        minimumAgeDays: s.retention?.minimumAgeDays ?? defaults.retention.minimumAgeDays,
      },
      schedule: {
        cron: s.schedule?.cron ?? defaults.schedule.cron,
        timezone: s.schedule?.timezone ?? defaults.schedule.timezone,
      },
      gracePeriodDays: s.gracePeriodDays ?? defaults.gracePeriodDays,
      endOfLife: s.endOfLife,
      retired: s.retired,
      enabled: s.enabled,
      communityHidden: s.communityHidden,
      // a smoke test with a problem never gets here: parse.ts reports it first
      smokeTest: resolveSmokeTest(id, defaults, properties, s.smokeTest).smokeTest,
      diskFormat: s.diskFormat,
      overlap: s.overlap,
    };
  });
  return {
    file,
    naming: data.naming,
    vendor: data.vendor,
    defaults: {
      schedule: defaults.schedule,
      gracePeriodDays: defaults.gracePeriodDays,
      retention: defaults.retention,
      properties: defaults.properties,
      smokeTest: defaults.smokeTest,
    },
    targets: data.targets
      ? Object.entries(data.targets).map(([name, target]) => ({ name, ...target }))
      : [{ name: DEFAULT_TARGET }],
    series,
  };
}
