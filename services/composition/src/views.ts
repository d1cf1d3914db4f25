// The operator's read models, fed from this process's clients: the state of each series and
// the plan of a run. Used by `imagecycle status|images|plan` and the control plane's API.
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { publishedVersions } from '@imagecycle/lifecycle';
import { imageProperty } from '@imagecycle/openstack';
import { type Plan, planRun, type SeriesState, seriesStates } from '@imagecycle/overview';
import { selectSeries } from '@imagecycle/series-catalogue';
import type { App } from './app.ts';

/** How many recent events are searched for reaped images. */
const EVENTS_SCANNED = 2000;

export async function readSeriesStates(
  app: App,
  only: readonly string[] = [],
): Promise<SeriesState[]> {
  const series = selectSeries(app.catalogue, only);
  const [images, checks, smokeTests, usageChecks, events] = await Promise.all([
    listManagedImages(app.cloud.glance, { owner: await app.owner() }),
    app.checks.all(),
    app.smokeTests.all(),
    app.usageChecks.all(),
    app.events.recent(EVENTS_SCANNED),
  ]);
  return seriesStates(
    { catalogue: { series }, images, checks, smokeTests, usageChecks, events, now: app.now() },
    series.map((s) => s.id),
  );
}

export async function planFor(app: App, only: readonly string[] = []): Promise<Plan> {
  const series = selectSeries(app.catalogue, only);
  const images = await listManagedImages(app.cloud.glance, { owner: await app.owner() });
  const watcher = app.watcher();
  return planRun({
    series,
    // what Glance shows now, not the feed-watcher's record (which a first install lacks)
    previewCheck: (id) =>
      watcher.preview(
        id,
        publishedVersions(images.filter((i) => imageProperty(i, PROPERTY.series) === id)),
      ),
    images,
    nova: app.cloud.nova,
    cinder: app.cloud.cinder,
    now: app.now(),
  });
}
