// Each series as an operator wants to see it: what upstream offers, what is Latest, every
// community image with its usage and reap outlook, what is in flight, what was reaped, and
// how the last check ended. Read-only: one owner-wide Glance listing, the check records and
// the event stream; no upstream request. One target (one Glance) at a time: a deployment with
// several targets has a state per series and target.
import { DEFAULT_TARGET, PROPERTY } from '@imagecycle/contracts';
import type {
  CheckRecord,
  LifecycleEvent,
  SmokeTestRecord,
  UsageCheckRecord,
} from '@imagecycle/events';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import {
  forecastReaps,
  newestUploadFirst,
  parseTimestamp,
  type ReapForecast,
  upstreamAge,
} from '@imagecycle/lifecycle';

export interface ImageView {
  id: string;
  name: string;
  version: string;
  /** Lifecycle state: candidate, verified, latest, community, retiring. */
  state: string;
  /** Glance status: active, queued, saving, deactivated, ... */
  status: string;
  visibility: string;
  hidden: boolean;
  protected: boolean;
  /** First upload. */
  createdAt: string;
  size?: number;
  lastUsedAt?: string;
  unusedSince?: string;
  keptBecause?: string;
}

export interface CommunityView extends ImageView {
  /** held (protected / floor), in-use, reap-after, unchecked */
  outlook: ReapForecast['outlook'];
  /** Why held, or what the last reap attempt found. */
  because?: string;
  /** The first daily usage check on or after this date reaps it, if still unused. */
  reapAfter?: string;
}

export interface ReapedView {
  imageId: string;
  at: string;
  version?: string;
  name?: string;
}

export interface SeriesState {
  id: string;
  /** The target (one Glance) this state is of: `default` in a deployment that names none. */
  target: string;
  /**
   * Why this target's Glance could not be read (one of several targets down): its images
   * are unknown, not absent - the other targets' states are read as usual.
   */
  unreadable?: string;
  title: string;
  retired: boolean;
  /** false: switched off in the catalogue, never checked upstream nor published */
  enabled: boolean;
  replaceFrequency?: string;
  upstream?: {
    version: string;
    buildDate?: string;
    ageDays?: number;
    /** Older than its replace_frequency promises: the upstream (or the check) may be stuck. */
    overdue: boolean;
  };
  lastCheck?: CheckRecord;
  /** The last smoke test of a candidate: passed or failed, and how long it took. */
  lastSmokeTest?: SmokeTestRecord;
  /** The last usage check of the series' community images, and what it found. */
  lastUsageCheck?: UsageCheckRecord;
  latest?: ImageView;
  /** Newest upload first. */
  community: CommunityView[];
  /** Candidates, verified images not yet arranged by the renamer, retiring images, anything not active. */
  inFlight: ImageView[];
  /** Newest first, from the recent event stream. */
  reaped: ReapedView[];
}

export interface StateSources {
  catalogue: { series: readonly Series[] };
  /** The target the images, smoke tests and usage checks are of (default: `default`). */
  target?: string;
  /** Every managed image of the owner in that target (listManagedImages without a series). */
  images: readonly GlanceImage[];
  checks: ReadonlyMap<string, CheckRecord>;
  /** Each series' last smoke test (none before the first). */
  smokeTests?: ReadonlyMap<string, SmokeTestRecord>;
  /** The last usage check of each series (none known when absent). */
  usageChecks?: ReadonlyMap<string, UsageCheckRecord>;
  /**
   * Recent events, newest first, of every target: those of other targets are left out (an
   * event without a target is the default target's).
   */
  events: readonly LifecycleEvent[];
  now: Date;
}

export function imageView(image: GlanceImage): ImageView {
  const optional = (key: 'keptBecause') => {
    const value = imageProperty(image, PROPERTY[key]);
    return value ? { [key]: value } : {};
  };
  // A usage date that is not a date is left out (the reap outlook names it), so every view
  // carries timestamps only.
  const timestamp = (key: 'lastUsedAt' | 'unusedSince') => {
    const value = imageProperty(image, PROPERTY[key]);
    const time = parseTimestamp(value);
    return time === undefined ? {} : { [key]: new Date(time).toISOString() };
  };
  return {
    id: image.id,
    name: image.name ?? '',
    version: imageProperty(image, PROPERTY.version) ?? '',
    state: imageProperty(image, PROPERTY.state) ?? '',
    status: image.status,
    visibility: image.visibility,
    hidden: image.os_hidden === true,
    protected: image.protected,
    createdAt: image.created_at,
    ...(typeof image.size === 'number' ? { size: image.size } : {}),
    ...timestamp('lastUsedAt'),
    ...timestamp('unusedSince'),
    ...optional('keptBecause'),
  };
}

function communityView(forecast: ReapForecast): CommunityView {
  const view: CommunityView = { ...imageView(forecast.image), outlook: forecast.outlook };
  if (forecast.outlook === 'held') view.because = forecast.because;
  if (forecast.outlook === 'reap-after') view.reapAfter = forecast.reapAfter;
  if (forecast.outlook !== 'held' && view.keptBecause) view.because = view.keptBecause;
  return view;
}

/** The state of every series of the catalogue (or of the named ones), in catalogue order. */
export function seriesStates(sources: StateSources, only?: readonly string[]): SeriesState[] {
  const bySeries = new Map<string, GlanceImage[]>();
  for (const image of sources.images) {
    const id = imageProperty(image, PROPERTY.series) ?? '';
    const list = bySeries.get(id);
    if (list) list.push(image);
    else bySeries.set(id, [image]);
  }
  return sources.catalogue.series
    .filter((series) => !only || only.includes(series.id))
    .map((series) => stateOf(series, bySeries.get(series.id) ?? [], sources));
}

function stateOf(series: Series, images: GlanceImage[], sources: StateSources): SeriesState {
  const settled = images.filter((image) => image.status === 'active');
  const latest = settled
    .filter((image) => imageProperty(image, PROPERTY.state) === 'latest')
    .sort(newestUploadFirst)[0];
  const community = forecastReaps(series, settled).map(communityView);
  const arranged = new Set([latest?.id, ...community.map((c) => c.id)]);
  const inFlight = images
    .filter((image) => !arranged.has(image.id))
    .sort(newestUploadFirst)
    .map(imageView);
  const target = sources.target ?? DEFAULT_TARGET;
  const reaped = sources.events
    .filter(
      (event) =>
        event.type === 'reaped' &&
        event.series === series.id &&
        event.imageId &&
        (event.target ?? DEFAULT_TARGET) === target,
    )
    .map((event) => ({
      imageId: event.imageId ?? '',
      at: event.at,
      ...(event.version ? { version: event.version } : {}),
      ...(event.detail ? { name: event.detail } : {}),
    }));
  const check = sources.checks.get(series.id);
  const smoke = sources.smokeTests?.get(series.id);
  const usageCheck = sources.usageChecks?.get(series.id);
  const frequency = series.properties.replace_frequency;
  const state: SeriesState = {
    id: series.id,
    target,
    title: series.title,
    retired: series.retired,
    enabled: series.enabled,
    ...(frequency ? { replaceFrequency: frequency } : {}),
    ...(check ? { lastCheck: check } : {}),
    ...(smoke ? { lastSmokeTest: smoke } : {}),
    ...(usageCheck ? { lastUsageCheck: usageCheck } : {}),
    community,
    inFlight,
    reaped,
  };
  if (latest) state.latest = imageView(latest);
  if (check?.version) {
    state.upstream = {
      version: check.version,
      ...(check.buildDate ? { buildDate: check.buildDate } : {}),
      ...upstreamAge(check.buildDate, frequency, sources.now),
    };
  }
  return state;
}
