// The operator's read models, fed from this process's clients: the state of each series and
// the plan of a run. Used by `imagecycle status|images|plan` and the control plane's API.
import { UnknownSeriesError } from '@imagecycle/feed-watcher';
import { listManagedImages } from '@imagecycle/inventory';
import { type Plan, planRun, type SeriesState, seriesStates } from '@imagecycle/overview';
import type { App } from './app.ts';

/** How many recent events are searched for reaped images. */
const EVENTS_SCANNED = 2000;

/** The series named (all when none); an unknown name is an error naming it. */
export function selectSeries(app: App, only: readonly string[] = []) {
  const unknown = only.filter((id) => !app.catalogue.series.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new UnknownSeriesError(
      `not in the catalogue ${app.catalogue.file}: ${unknown.join(', ')}`,
    );
  return only.length > 0
    ? app.catalogue.series.filter((s) => only.includes(s.id))
    : app.catalogue.series;
}

export async function readSeriesStates(
  app: App,
  only: readonly string[] = [],
): Promise<SeriesState[]> {
  const series = selectSeries(app, only);
  const [images, checks, events] = await Promise.all([
    listManagedImages(app.cloud.glance, { owner: app.owner }),
    app.checks.all(),
    app.events.recent(EVENTS_SCANNED),
  ]);
  return seriesStates(
    { catalogue: { series }, images, checks, events, now: app.now() },
    series.map((s) => s.id),
  );
}

export async function planFor(app: App, only: readonly string[] = []): Promise<Plan> {
  const series = selectSeries(app, only);
  const images = await listManagedImages(app.cloud.glance, { owner: app.owner });
  return planRun({
    series,
    previewCheck: (id) => app.watcher.preview(id),
    images,
    nova: app.cloud.nova,
    cinder: app.cloud.cinder,
    now: app.now(),
  });
}
