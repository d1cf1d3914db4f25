// The catalogue's health as Prometheus gauges, computed by the control plane from shared
// state (Glance, the check records) when /metrics is scraped - so one scrape target answers
// for the whole system however many worker pods run. The series states are cached for
// `ttlMs`: a scrape every 15 s does not list Glance every 15 s. Only the replica holding the
// metrics lease exports them (metrics-lease.ts); on the others the labelled gauges are
// absent and imagecycle_catalogue_read_error is 0, so a sum over replicas stays right.
// What Glance holds is per target (imagecycle_images, imagecycle_image_bytes carry a `target`
// label: `default` in a deployment that names none); what upstream offers and the feed check
// are per series, whatever the targets.
import type { SeriesState } from '@imagecycle/overview';
import { Gauge, type Registry } from 'prom-client';
import type { MetricsLease } from './metrics-lease.ts';

export function registerCatalogueMetrics(
  registry: Registry,
  readStates: () => Promise<SeriesState[]>,
  lease: MetricsLease,
  more: {
    /** The series whose targets disagree on their Latest (Redis only, read at each scrape). */
    disagreements?: () => Promise<{ series: string; overdue: boolean }[]>;
    ttlMs?: number;
  } = {},
): void {
  const ttlMs = more.ttlMs ?? 60_000;
  let cached: { at: number; states: Promise<SeriesState[] | undefined> } | undefined;
  const readError = new Gauge({
    name: 'imagecycle_catalogue_read_error',
    help: '1 when the catalogue gauges could not be computed (Glance or Redis unreachable): they are absent meanwhile - with several targets, only the gauges of the targets that could not be read',
    registers: [registry],
  });
  // A failed read leaves the catalogue gauges out of the scrape (and is not cached: the next
  // scrape tries again); it never fails /metrics, whose queue counts matter most then.
  const states = async (): Promise<SeriesState[]> => {
    if (!(await lease.held())) {
      readError.set(0);
      return [];
    }
    if (!cached || Date.now() - cached.at > ttlMs) {
      cached = {
        at: Date.now(),
        states: readStates().then(
          (read) => {
            // one of several targets down: its gauges are absent, the others' are there
            readError.set(read.some((state) => state.unreadable !== undefined) ? 1 : 0);
            return read;
          },
          () => {
            readError.set(1);
            cached = undefined;
            return undefined;
          },
        ),
      };
    }
    return (await cached.states) ?? [];
  };

  new Gauge({
    name: 'imagecycle_images',
    help: 'Managed images by series, target and lifecycle state (latest, community, in-flight)',
    labelNames: ['series', 'target', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await states()).filter((state) => state.unreadable === undefined)) {
        const where = { series: s.id, target: s.target };
        this.set({ ...where, state: 'latest' }, s.latest ? 1 : 0);
        this.set({ ...where, state: 'community' }, s.community.length);
        this.set({ ...where, state: 'in-flight' }, s.inFlight.length);
      }
    },
  });
  new Gauge({
    name: 'imagecycle_targets_disagree',
    help: "1 while a series' targets have disagreed on its Latest for longer than IMAGECYCLE_TARGETS_DISAGREE_SECONDS: a target fell behind (absent with a single target)",
    labelNames: ['series'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!more.disagreements || !(await lease.held())) return;
      try {
        for (const d of await more.disagreements())
          this.set({ series: d.series }, d.overdue ? 1 : 0);
      } catch {
        readError.set(1); // Redis unreachable: the gauge is absent, like the others
      }
    },
  });
  new Gauge({
    name: 'imagecycle_series_retired',
    help: '1 for a series the catalogue marks retired (nothing new is published for it), 0 otherwise',
    labelNames: ['series'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await states()) this.set({ series: s.id }, s.retired ? 1 : 0);
    },
  });
  new Gauge({
    name: 'imagecycle_image_bytes',
    help: 'Bytes stored in Glance by managed images, by series and target',
    labelNames: ['series', 'target'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await states()).filter((state) => state.unreadable === undefined)) {
        const images = [...(s.latest ? [s.latest] : []), ...s.community, ...s.inFlight];
        this.set(
          { series: s.id, target: s.target },
          images.reduce((sum, image) => sum + (image.size ?? 0), 0),
        );
      }
    },
  });
  new Gauge({
    name: 'imagecycle_last_check_timestamp_seconds',
    help: 'When each series was last checked upstream, whatever the outcome (unix seconds)',
    labelNames: ['series', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await states())
        if (s.lastCheck)
          this.set(
            { series: s.id, outcome: s.lastCheck.outcome },
            Date.parse(s.lastCheck.at) / 1000,
          );
    },
  });
  new Gauge({
    name: 'imagecycle_upstream_age_days',
    help: "Age of each series' newest upstream release, as of its last check",
    labelNames: ['series', 'replace_frequency'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await states())
        if (s.upstream?.ageDays !== undefined)
          this.set(
            { series: s.id, replace_frequency: s.replaceFrequency ?? 'unset' },
            s.upstream.ageDays,
          );
    },
  });
  new Gauge({
    name: 'imagecycle_upstream_overdue',
    help: ' 1 when the newest upstream release is older than its replace_frequency promises (plus grace)',
    labelNames: ['series'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await states())
        if (s.upstream) this.set({ series: s.id }, s.upstream.overdue ? 1 : 0);
    },
  });
}
