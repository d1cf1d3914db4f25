export {
  FeedWatcher,
  loadSeriesTrust,
  SCHEDULE_PREFIX,
  syncFeedSchedules,
  type FeedWatcherOptions,
  type FeedCheckResult,
} from './feed-watcher.ts';
export { checkSeries, type CheckOutcome, type CheckSeriesDeps } from './check-series.ts';
export { DocumentFetcher, FetchError, type FetcherOptions } from './document-fetcher.ts';
export { RedisDocumentCache, MemoryDocumentCache, type DocumentCache } from './document-cache.ts';
export { readNewestRelease } from './read-feed.ts';
export { ReleaseRejected, type FeedRejectReason } from './rejection.ts';
export { RedisSignedSeries, MemorySignedSeries, type SignedSeries } from './signed-series.ts';
