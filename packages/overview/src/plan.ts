// `imagecycle plan`: what a run would change now, without changing anything. It reads the
// feeds (as a check would), Glance, Nova and Cinder, and reports
//   downloads   new upstream releases a check would start downloading
//   rejected    releases a check would refuse, and why
//   renames     PATCHes the renamer would apply to settle names and visibility
//   usage       usage records (last used / unused since) the usage check would write
//   reaps       community images the usage check would hand to the reaper
//   repairs     what the janitor would do: dead candidates removed, stranded reaps resumed
// After a download the new release is uploaded and becomes Latest; the plan names the
// image that would then be demoted.
// A plan is of one target (one Glance and the compute regions booting from it). A feed check
// is one per series whatever the targets (one download feeds every target), so a caller
// planning several targets hands each the same previews; a target that already holds the
// release is left out of its download.
import { DEFAULT_TARGET, PROPERTY } from '@imagecycle/contracts';
import { type ComputeRegion, scanUsageInRegions } from '@imagecycle/inventory';
import {
  decideUsage,
  desiredState,
  janitorFindings,
  publishedVersions,
} from '@imagecycle/lifecycle';
import {
  type CinderClient,
  diffImage,
  type GlanceImage,
  imageProperty,
  type NovaClient,
  type PatchOperation,
} from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

/** What a read-only feed check says (the feed-watcher's preview has this shape). */
export type CheckPreview =
  | { outcome: 'new-release' | 'in-flight'; version: string; buildDate?: string }
  | { outcome: 'rejected'; version?: string; message: string }
  | { outcome: 'nothing-new' | 'retired' | 'disabled' | 'no-releases' };

export interface PlanDeps {
  /** The target planned (default: `default`). */
  target?: string;
  series: readonly Series[];
  /** A read-only feed check (FeedWatcher.preview). */
  previewCheck(series: string): Promise<CheckPreview>;
  /** Every managed image of the owner in the target's Glance. */
  images: readonly GlanceImage[];
  /** The reading account's Nova and Cinder in the target's own region. */
  nova: NovaClient;
  cinder: CinderClient;
  /** The name of that region, naming its uses and doubts beside `alsoIn`'s. */
  region?: string;
  /** The further compute regions whose servers and volumes boot from the target's Glance. */
  alsoIn?: readonly ComputeRegion[];
  /** Roles that make the reading account admin in Cinder (default: admin). */
  cinderAdminRoles?: readonly string[];
  now: Date;
}

export interface Plan {
  /** The target whose changes these are: `default` in a deployment that names none. */
  target: string;
  at: string;
  downloads: {
    series: string;
    version: string;
    buildDate?: string;
    /** Already queued (a check would not add another). */
    inFlight: boolean;
    /** The Latest it would replace (then demoted to community). */
    replaces?: { imageId: string; name: string; version: string };
  }[];
  rejected: { series: string; version?: string; message: string }[];
  /** Feed checks that could not be made (upstream unreachable, ...). */
  unchecked: { series: string; message: string }[];
  renames: { series: string; imageId: string; name: string; ops: PatchOperation[] }[];
  usage: { series: string; imageId: string; name: string; ops: PatchOperation[] }[];
  reaps: { series: string; imageId: string; name: string; version: string }[];
  /** The janitor's repairs besides names (those are in renames). */
  repairs: {
    series: string;
    imageId: string;
    name: string;
    action: 'remove-dead-candidate' | 'resume-reap';
    because: string;
  }[];
  /** What the usage scan read; `incomplete` says why it could not prove anything unused
   * (then no reap is planned). */
  scanned: { servers: number; volumes: number; incomplete: string[] };
}

const CHECKS_AT_ONCE = 4;

export async function planRun(deps: PlanDeps): Promise<Plan> {
  const plan: Plan = {
    target: deps.target ?? DEFAULT_TARGET,
    at: deps.now.toISOString(),
    downloads: [],
    rejected: [],
    unchecked: [],
    renames: [],
    usage: [],
    reaps: [],
    repairs: [],
    scanned: { servers: 0, volumes: 0, incomplete: [] },
  };
  const [checks, usage] = await Promise.all([
    previewAll(deps),
    // the usage check's scan: the target's own region and every region booting from its Glance
    scanUsageInRegions(
      [
        { region: deps.region ?? 'its own region', nova: deps.nova, cinder: deps.cinder },
        ...(deps.alsoIn ?? []),
      ],
      deps.cinderAdminRoles ? { adminRoles: deps.cinderAdminRoles } : {},
    ),
  ]);
  plan.scanned = {
    servers: usage.servers,
    volumes: usage.volumes,
    incomplete: usage.incomplete,
  };

  for (const series of deps.series) {
    const images = deps.images.filter((i) => imageProperty(i, PROPERTY.series) === series.id);
    const check = checks.get(series.id);
    if (check instanceof Error) plan.unchecked.push({ series: series.id, message: check.message });
    else if (check?.outcome === 'rejected')
      plan.rejected.push({
        series: series.id,
        ...(check.version ? { version: check.version } : {}),
        message: check.message,
      });
    else if (
      (check?.outcome === 'new-release' || check?.outcome === 'in-flight') &&
      // the release is new to another target: this one has it already
      !publishedVersions(images).versions.includes(check.version)
    ) {
      const latest = images.find((i) => imageProperty(i, PROPERTY.state) === 'latest');
      plan.downloads.push({
        series: series.id,
        version: check.version,
        ...(check.buildDate ? { buildDate: check.buildDate } : {}),
        inFlight: check.outcome === 'in-flight',
        ...(latest
          ? {
              replaces: {
                imageId: latest.id,
                name: latest.name ?? '',
                version: imageProperty(latest, PROPERTY.version) ?? '',
              },
            }
          : {}),
      });
    }

    for (const entry of desiredState(series, images)) {
      const ops = diffImage(entry.image, entry.desired);
      if (ops.length)
        plan.renames.push({
          series: series.id,
          imageId: entry.image.id,
          name: entry.image.name ?? '',
          ops,
        });
    }
    const findings = janitorFindings(images, deps.now);
    for (const [action, found] of [
      ['remove-dead-candidate', findings.deadCandidates],
      ['resume-reap', findings.strandedReaps],
    ] as const)
      for (const { image, because } of found)
        plan.repairs.push({
          series: series.id,
          imageId: image.id,
          name: image.name ?? '',
          action,
          because,
        });
    for (const decision of decideUsage(series, images, usage.usedBy, deps.now)) {
      const ops = diffImage(decision.image, decision.desired);
      const name = decision.image.name ?? '';
      if (ops.length) plan.usage.push({ series: series.id, imageId: decision.image.id, name, ops });
      if (decision.reap && usage.incomplete.length === 0)
        plan.reaps.push({
          series: series.id,
          imageId: decision.image.id,
          name,
          version: imageProperty(decision.image, PROPERTY.version) ?? '',
        });
    }
  }
  return plan;
}

/** Every series previewed, a few at a time; a failed check is kept as its error. */
async function previewAll(deps: PlanDeps): Promise<Map<string, CheckPreview | Error>> {
  const results = new Map<string, CheckPreview | Error>();
  const queue = deps.series.map((s) => s.id);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        results.set(id, await deps.previewCheck(id));
      } catch (error) {
        results.set(id, error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: CHECKS_AT_ONCE }, worker));
  return results;
}
