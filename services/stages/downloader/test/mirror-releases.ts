// The downloader's tests read releases from the local mirror the way the real feed-watcher
// does: one series of the mirror's catalogue, and its newest release.
import type { Release } from '@imagecycle/contracts';
import {
  DocumentFetcher,
  loadSeriesTrust,
  MemoryDocumentCache,
  readNewestRelease,
} from '@imagecycle/feed-watcher';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';

export function seriesIn(catalogue: Catalogue, id: string): Series {
  const series = catalogue.series.find((s: Series) => s.id === id);
  if (!series) throw new Error(`no series ${id}`);
  return series;
}

/** The newest release of a series as the real feed-watcher reads it from the mirror. */
export async function newestRelease(catalogue: Catalogue, seriesId: string): Promise<Release> {
  const series = seriesIn(catalogue, seriesId);
  const release = await readNewestRelease({
    series,
    fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
    trust: await loadSeriesTrust(series),
  });
  if (!release) throw new Error(`no release for ${seriesId}`);
  return release;
}
