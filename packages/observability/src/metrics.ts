// imagecycle's Prometheus metrics, registered once per process on its own registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Node.js process metrics under their standard names (process_cpu_seconds_total,
  // nodejs_heap_size_used_bytes, ...), so the usual dashboards and alerts find them.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    releaseRejections: new Counter({
      name: 'imagecycle_release_rejections_total',
      help: 'Upstream releases rejected before download or publication, by series and reason',
      labelNames: ['series', 'reason'] as const,
      registers: [registry],
    }),
    feedChecks: new Counter({
      name: 'imagecycle_feed_checks_total',
      help: 'Feed checks by series and outcome',
      labelNames: ['series', 'outcome'] as const,
      registers: [registry],
    }),
    lastSuccessfulCheck: new Gauge({
      name: 'imagecycle_last_successful_check_timestamp_seconds',
      help: 'When each series was last checked successfully (unix seconds)',
      labelNames: ['series'] as const,
      registers: [registry],
    }),
    upstreamAge: new Gauge({
      name: 'imagecycle_upstream_newest_build_timestamp_seconds',
      help: "Build date of each series' newest upstream release (unix seconds)",
      labelNames: ['series'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'imagecycle_job_duration_seconds',
      help: 'Duration of each job attempt this process ran, by queue and result (completed, failed, cancelled by a shutdown)',
      labelNames: ['queue', 'result'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'imagecycle_job_failures_total',
      help: 'Jobs that failed their last attempt (no retry left), by queue: they need an operator',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    uploadsGivenUp: new Counter({
      name: 'imagecycle_uploads_given_up_total',
      help: 'Uploads of a release to a target that failed their last attempt: that target lacks the release until a later download, and its staged copy no longer waits for it',
      labelNames: ['series', 'target'] as const,
      registers: [registry],
    }),
    bytesMoved: new Counter({
      name: 'imagecycle_bytes_total',
      help: 'Image bytes moved by this process: fetched from upstream (download) or sent to Glance (upload), by series',
      labelNames: ['stage', 'series'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
