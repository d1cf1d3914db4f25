// The operator's read models, fed from this process's clients: the state of each series and
// the plan of a run, in each target (each target's Glance read with its usage account, its
// own records, the events of that target). Used by `imagecycle status|images|plan` and the
// control plane's API.
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { publishedEverywhere, publishedVersions } from '@imagecycle/lifecycle';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';
import {
  type CheckPreview,
  type Plan,
  planRun,
  type SeriesState,
  seriesStates,
} from '@imagecycle/overview';
import { selectSeries, selectTargets, type Target } from '@imagecycle/series-catalogue';
import type { App } from './app.ts';

/** How many recent events are searched for reaped images. */
const EVENTS_SCANNED = 2000;

/**
 * The targets named (every target, in catalogue order, when none is); a name the catalogue
 * does not have is an UnknownTargetError listing the ones it has.
 */
function targetsOf(app: App, name?: string): Target[] {
  const names = selectTargets(app.catalogue, name);
  return app.targets.filter((t) => names.includes(t.name));
}

/** The managed images in the target's Glance, as its usage account (scoped to the owner) sees them. */
async function imagesIn(app: App, target: Target): Promise<GlanceImage[]> {
  return listManagedImages(app.clouds.get('usage', target).glance, {
    owner: await app.owner(['usage'], target),
  });
}

/**
 * The state of each series (all when `only` is empty) in each target (or the named one):
 * target by target in catalogue order, the series in catalogue order within each.
 */
export async function readSeriesStates(
  app: App,
  only: readonly string[] = [],
  target?: string,
): Promise<SeriesState[]> {
  const series = selectSeries(app.catalogue, only);
  const targets = targetsOf(app, target);
  const [checks, events, perTarget] = await Promise.all([
    app.checks.all(),
    app.events.recent(EVENTS_SCANNED),
    Promise.all(
      targets.map(async (t) => {
        const records = app.recordsOf(t.name);
        // With several targets, one that is down is said to be unreadable and the others
        // are read as usual: an operator sees which region is down, not an error instead of
        // every region. A single target down fails the read, as it always did.
        let unreadable: string | undefined;
        const [images, smokeTests, usageChecks] = await Promise.all([
          imagesIn(app, t).catch((error: unknown) => {
            if (app.targets.length < 2) throw error;
            unreadable = (error as Error).message;
            return [];
          }),
          records.smokeTests.all(),
          records.usageChecks.all(),
        ]);
        return { target: t.name, images, smokeTests, usageChecks, unreadable };
      }),
    ),
  ]);
  const ids = series.map((s) => s.id);
  return perTarget.flatMap(({ target: name, images, smokeTests, usageChecks, unreadable }) =>
    seriesStates(
      {
        catalogue: { series },
        target: name,
        images,
        checks,
        smokeTests,
        usageChecks,
        events,
        now: app.now(),
      },
      ids,
    ).map((state) => (unreadable === undefined ? state : { ...state, unreadable })),
  );
}

/**
 * What a run would change in each target (or the named one), a plan per target in catalogue
 * order. The feed is checked once per series for all of them, as the feed-watcher does: a
 * release is new while any target's Glance lacks it (what Glance shows now, not the
 * feed-watcher's record, which a first install lacks).
 */
export async function planFor(
  app: App,
  only: readonly string[] = [],
  target?: string,
): Promise<Plan[]> {
  const series = selectSeries(app.catalogue, only);
  const targets = targetsOf(app, target);
  // what the feed-watcher weighs is every target's, whichever targets are planned
  const images = new Map(
    await Promise.all(app.targets.map(async (t) => [t.name, await imagesIn(app, t)] as const)),
  );
  const watcher = app.watcher();
  const previews = new Map<string, Promise<CheckPreview>>();
  const previewCheck = (id: string) => {
    let preview = previews.get(id);
    if (!preview) {
      const ofSeries = (list: readonly GlanceImage[]) =>
        list.filter((i) => imageProperty(i, PROPERTY.series) === id);
      preview = watcher.preview(
        id,
        publishedEverywhere([...images.values()].map((list) => publishedVersions(ofSeries(list)))),
      );
      previews.set(id, preview);
    }
    return preview;
  };
  return Promise.all(
    targets.map((t) => {
      const usage = app.clouds.get('usage', t);
      return planRun({
        target: t.name,
        series,
        previewCheck,
        images: images.get(t.name) ?? [],
        nova: usage.nova,
        cinder: usage.cinder,
        ...(t.region === undefined ? {} : { region: t.region }),
        alsoIn: app.clouds.usageElsewhere(t),
        cinderAdminRoles: app.settings.IMAGECYCLE_CINDER_ADMIN_ROLES,
        now: app.now(),
      });
    }),
  );
}
