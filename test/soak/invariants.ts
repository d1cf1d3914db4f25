// The invariants of docs/architecture, judged from what Glance, Nova and Cinder show - never
// from imagecycle's queues, events or read models - plus what the soak itself knows: which
// bytes upstream really published, what the operator deactivated, what existed before.
// Pure: an observation and that knowledge in, violations out (so each rule can be shown to
// fire on a made-up cloud in a unit test).
import type { GlanceImage, Server, Volume } from '@imagecycle/openstack';

const TAG = 'imagecycle';
const P = {
  series: 'imagecycle_series',
  version: 'imagecycle_version',
  state: 'imagecycle_state',
} as const;

export const INVARIANTS = [
  /** 1: one public, active, non-candidate `<Title> - Latest` per series, the newest release. */
  'latest',
  /** 3: nothing a server or a volume uses is deleted, or left deactivated by imagecycle. */
  'in-use',
  /** 2: public and community images hold exactly the bytes upstream published and signed. */
  'verified-bytes',
  /** 4: at most one image per (series, version) that is not a candidate. */
  'one-per-version',
  /** 5: tenant and unmanaged images are never written; no untagged image is made. */
  'untouched',
  /** 3: no reap before the grace period: a date that does not read keeps the image (fails closed). */
  'grace',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  /** What it is about (a series, an image): one violation per subject is reported once. */
  subject: string;
  detail: string;
}

/** What upstream published, as the mirror made it. */
export interface ReleaseFacts {
  series: string;
  version: string;
  /** Publication order upstream: higher is newer. */
  order: number;
  /** Digests and size of the disk image inside (what Glance stores). */
  sha512: string;
  sha256: string;
  size: number;
  /** false: never served genuinely - its bytes were corrupted or its signature forged for its whole life. */
  genuine: boolean;
  /** false: a build whose guest never boots - its smoke test fails. Absent: it boots. */
  bootable?: boolean;
  withdrawn: boolean;
}

export interface SeriesFacts {
  id: string;
  title: string;
  retired: boolean;
}

export interface Knowledge {
  /** The service's project: the owner of managed images. */
  owner: string;
  series: readonly SeriesFacts[];
  /** Series whose Latest has been seen once: from then on a lookup must always find it. */
  published: ReadonlySet<string>;
  /** `${series} ${version}` -> facts. */
  releases: ReadonlyMap<string, ReleaseFacts>;
  /** Images the soak's operator deactivated (and has not reactivated). */
  operatorDeactivated: ReadonlySet<string>;
  /**
   * Images the operator deactivated or reactivated, with no janitor pass started since: a
   * Latest the operator deactivates keeps its name, and an image reactivated does not get
   * the role back, until the next janitor pass (daily, or on demand) gives the role to the
   * newest active image. Absent: none.
   */
  awaitingJanitor?: ReadonlySet<string>;
  /** Every managed image of a soak series ever seen, with what it was. */
  seenManaged: ReadonlyMap<string, { series: string; version: string; name: string }>;
  /** id -> fingerprint of every image that is not a managed image of a soak series, taken before the run. */
  untouched: ReadonlyMap<string, string>;
  /**
   * id -> the unreadable `imagecycle_unused_since` the operator wrote on it before this
   * step's usage check: the image must still be there when the step ends.
   */
  unreadableDates: ReadonlyMap<string, string>;
}

export interface Observation {
  /** Every image of the cloud (an admin's listing, every visibility, hidden ones too). */
  images: readonly GlanceImage[];
  /** series -> what a tenant's lookup of `<Title> - Latest` by name returned. */
  lookups: ReadonlyMap<string, readonly GlanceImage[]>;
  /**
   * Every server of every project in every state: the default listing and, listed on their
   * own (deleted=true&status=SOFT_DELETED), the soft-deleted ones a restore brings back.
   */
  servers: readonly Server[];
  /** Every volume of every project, those servers boot from included. */
  volumes: readonly Volume[];
}

export const releaseKey = (series: string, version: string) => `${series} ${version}`;
export const latestNameOf = (title: string) => `${title} - Latest`;

const prop = (image: GlanceImage, name: string): string | undefined => {
  const value = image[name];
  return typeof value === 'string' ? value : undefined;
};

/** A managed image of one of the soak's series. */
export function isSoakImage(image: GlanceImage, knowledge: Pick<Knowledge, 'owner' | 'series'>) {
  return (
    image.owner === knowledge.owner &&
    image.tags.includes(TAG) &&
    knowledge.series.some((s) => s.id === prop(image, P.series))
  );
}

/** Everything a write to an image changes: Glance moves updated_at on every PATCH and status change. */
export function fingerprint(image: GlanceImage): string {
  return [image.updated_at, image.status, image.visibility, image.name ?? ''].join(' | ');
}

const describe = (image: GlanceImage) =>
  `${image.id} "${image.name ?? ''}" ${image.status} ${image.visibility}${image.os_hidden ? ' hidden' : ''} state=${prop(image, P.state) ?? '-'} version=${prop(image, P.version) ?? '-'}`;

/** The volumes attached to a server (its boot volume among them), as Nova lists them. */
function attachedVolumes(server: Server): { id: string }[] {
  const attached = server['os-extended-volumes:volumes_attached'];
  return Array.isArray(attached)
    ? attached.filter(
        (v): v is { id: string } => typeof (v as { id?: unknown } | null)?.id === 'string',
      )
    : [];
}

export interface CheckResult {
  violations: Violation[];
  /** Individual judgements made (per series, per image, per user...). */
  checks: number;
}

export function checkInvariants(observation: Observation, knowledge: Knowledge): CheckResult {
  const violations: Violation[] = [];
  let checks = 0;
  const flag = (invariant: Invariant, subject: string, detail: string) =>
    violations.push({ invariant, subject, detail });
  const byId = new Map(observation.images.map((image) => [image.id, image]));
  const soak = observation.images.filter((image) => isSoakImage(image, knowledge));

  // 1. The Latest of every published, non-retired series.
  for (const series of knowledge.series) {
    const mine = soak.filter((image) => prop(image, P.series) === series.id);
    for (const candidate of mine.filter((image) => prop(image, P.state) === 'candidate')) {
      checks += 1;
      if (candidate.visibility !== 'private' || !candidate.os_hidden)
        flag(
          'latest',
          `candidate ${candidate.id}`,
          `a candidate is visible: ${describe(candidate)}`,
        );
    }
    if (series.retired || !knowledge.published.has(series.id)) continue;
    checks += 1;
    const name = latestNameOf(series.title);
    const named = observation.images.filter(
      (image) => image.owner === knowledge.owner && image.name === name,
    );
    const subject = `series ${series.id}`;
    if (named.length !== 1) {
      flag(
        'latest',
        subject,
        `${named.length} service images are named "${name}": ${named.map(describe).join('; ') || 'none'}`,
      );
      continue;
    }
    const latest = named[0] as GlanceImage;
    if (latest.status === 'deactivated' && knowledge.awaitingJanitor?.has(latest.id)) continue;
    const wrong: string[] = [];
    if (latest.status !== 'active') wrong.push(`status ${latest.status}`);
    if (latest.visibility !== 'public') wrong.push(`visibility ${latest.visibility}`);
    if (latest.os_hidden) wrong.push('hidden');
    if (prop(latest, P.state) !== 'latest') wrong.push(`state ${prop(latest, P.state) ?? '-'}`);
    if (!mine.includes(latest)) wrong.push('not a managed image of the series');
    if (wrong.length > 0)
      flag('latest', subject, `"${name}" is ${wrong.join(', ')}: ${describe(latest)}`);
    const lookup = observation.lookups.get(series.id) ?? [];
    if (lookup.length !== 1 || lookup[0]?.id !== latest.id)
      flag(
        'latest',
        subject,
        `a tenant looking up "${name}" finds ${lookup.length}: ${lookup.map(describe).join('; ') || 'nothing'}`,
      );
    // The newest release among the active images that may hold the role.
    const order = (image: GlanceImage) =>
      knowledge.releases.get(releaseKey(series.id, prop(image, P.version) ?? ''))?.order ?? -1;
    const eligible = mine.filter(
      (image) =>
        image.status === 'active' &&
        ['latest', 'community'].includes(prop(image, P.state) ?? '') &&
        !knowledge.operatorDeactivated.has(image.id) &&
        // deactivated by the operator, then reactivated: the janitor has not passed since
        !(image.status === 'active' && knowledge.awaitingJanitor?.has(image.id)),
    );
    const newest = eligible.reduce<GlanceImage | undefined>(
      (best, image) => (best === undefined || order(image) > order(best) ? image : best),
      undefined,
    );
    if (newest && order(newest) > order(latest))
      flag(
        'latest',
        subject,
        `the Latest is not the newest release: ${describe(latest)}; newer: ${describe(newest)}`,
      );
  }

  // 3. Nothing in use is deleted, or left deactivated by imagecycle.
  const users = new Map<string, string[]>();
  const use = (imageId: string | undefined, who: string) => {
    if (!imageId) return;
    users.set(imageId, [...(users.get(imageId) ?? []), who]);
  };
  const volumeById = new Map(observation.volumes.map((volume) => [volume.id, volume]));
  for (const server of observation.servers) {
    const who = `server ${server.id} (${server.status}, created ${server.created})`;
    use(typeof server.image === 'object' && server.image ? server.image.id : undefined, who);
    // booted from a volume: Nova names no image (`image` is ""), the volume does
    for (const { id } of attachedVolumes(server))
      use(volumeById.get(id)?.volume_image_metadata?.image_id, `${who} through volume ${id}`);
  }
  for (const volume of observation.volumes)
    use(
      volume.volume_image_metadata?.image_id,
      `volume ${volume.id} (${volume.status}${typeof volume.created_at === 'string' ? `, created ${volume.created_at}` : ''})`,
    );
  for (const [imageId, who] of users) {
    const seen = knowledge.seenManaged.get(imageId);
    const image = byId.get(imageId);
    if (!seen && !(image && isSoakImage(image, knowledge))) continue;
    checks += 1;
    const subject = `image ${imageId}`;
    if (!image) {
      flag(
        'in-use',
        subject,
        `deleted while in use by ${who.join(', ')}; it was ${seen?.series} ${seen?.version} "${seen?.name}"`,
      );
    } else if (image.status === 'deactivated' && !knowledge.operatorDeactivated.has(imageId)) {
      flag('in-use', subject, `deactivated while in use by ${who.join(', ')}: ${describe(image)}`);
    }
  }

  // 3. A date that does not read is no grace period over: the image stays (for now).
  for (const [imageId, value] of knowledge.unreadableDates) {
    checks += 1;
    if (byId.has(imageId)) continue;
    const seen = knowledge.seenManaged.get(imageId);
    flag(
      'grace',
      `image ${imageId}`,
      `reaped the simulated day its imagecycle_unused_since became unreadable (${JSON.stringify(value)}): a date that does not read must keep the image; it was ${seen?.series} ${seen?.version} "${seen?.name}"`,
    );
  }

  // 2. Public and community images hold the bytes upstream published, and signed.
  const versions = new Map<string, GlanceImage[]>();
  for (const image of soak) {
    const series = prop(image, P.series) ?? '';
    const version = prop(image, P.version) ?? '';
    const state = prop(image, P.state);
    if (state !== 'candidate') {
      const key = releaseKey(series, version);
      versions.set(key, [...(versions.get(key) ?? []), image]);
    }
    if (state === 'candidate' && image.visibility === 'private') continue;
    checks += 1;
    const subject = `image ${image.id}`;
    const release = knowledge.releases.get(releaseKey(series, version));
    if (!release) {
      flag('verified-bytes', subject, `upstream never published this version: ${describe(image)}`);
      continue;
    }
    if (!release.genuine) {
      flag(
        'verified-bytes',
        subject,
        `upstream never served this release genuinely (corrupted bytes or a forged signature), yet it is published: ${describe(image)}`,
      );
      continue;
    }
    if (release.bootable === false) {
      flag(
        'verified-bytes',
        subject,
        `this build's guest never boots (its smoke test fails), yet it is published: ${describe(image)}`,
      );
      continue;
    }
    const expected =
      image.os_hash_algo === 'sha512'
        ? release.sha512
        : image.os_hash_algo === 'sha256'
          ? release.sha256
          : undefined;
    if (image.os_hash_value === null || expected === undefined)
      flag(
        'verified-bytes',
        subject,
        `no comparable hash (${image.os_hash_algo ?? 'none'}): ${describe(image)}`,
      );
    else if (image.os_hash_value !== expected || image.size !== release.size)
      flag(
        'verified-bytes',
        subject,
        `holds other bytes than upstream's ${series} ${version}: ${image.os_hash_algo} ${image.os_hash_value.slice(0, 16)}... size ${image.size}, upstream ${expected.slice(0, 16)}... size ${release.size}: ${describe(image)}`,
      );
  }

  // 4. One image per (series, version), candidates aside.
  for (const [key, images] of versions) {
    checks += 1;
    if (images.length > 1)
      flag(
        'one-per-version',
        `version ${key}`,
        `${images.length} images: ${images.map(describe).join('; ')}`,
      );
  }

  // 5. Everything else is as it was; the service makes no image without its tag.
  for (const [id, before] of knowledge.untouched) {
    checks += 1;
    const image = byId.get(id);
    if (!image) flag('untouched', `image ${id}`, `deleted; it was ${before}`);
    else if (fingerprint(image) !== before)
      flag('untouched', `image ${id}`, `written: was ${before}, now ${fingerprint(image)}`);
  }
  for (const image of observation.images) {
    if (
      image.owner !== knowledge.owner ||
      image.tags.includes(TAG) ||
      knowledge.untouched.has(image.id)
    )
      continue;
    checks += 1;
    flag(
      'untouched',
      `image ${image.id}`,
      `a new service image without the tag: ${describe(image)}`,
    );
  }
  return { violations, checks };
}

export interface Leftovers {
  /** Files under the staging directory. */
  staged: readonly string[];
  /** Failed jobs of every queue: `queue id: reason`. */
  failedJobs: readonly string[];
}

/** What must be gone once the faults stopped and the pipeline had its days to converge. */
export function convergenceProblems(
  observation: Observation,
  knowledge: Knowledge,
  leftovers: Leftovers,
): string[] {
  const problems: string[] = [];
  for (const image of observation.images.filter((i) => isSoakImage(i, knowledge))) {
    const state = prop(image, P.state);
    if (state === 'candidate') problems.push(`orphan candidate: ${describe(image)}`);
    if (state === 'retiring') problems.push(`still retiring: ${describe(image)}`);
  }
  for (const series of knowledge.series.filter((s) => s.retired)) {
    const name = latestNameOf(series.title);
    for (const image of observation.images.filter(
      (i) => i.owner === knowledge.owner && i.name === name,
    ))
      problems.push(`retired series ${series.id} still has a Latest: ${describe(image)}`);
  }
  for (const file of leftovers.staged) problems.push(`staging not empty: ${file}`);
  for (const job of leftovers.failedJobs) problems.push(`failed job: ${job}`);
  return problems;
}

/** One target's Glance as the soak saw it, and what the soak knows of that target. */
export interface TargetView {
  target: string;
  observation: Observation;
  knowledge: Knowledge;
}

/**
 * Once converged, every target publishes the same release as the Latest of each series that
 * is not retired: one download serves them all, and a target that was down or gave up
 * catches up. Not owed where the operator holds an image of the series deactivated in one
 * target (that target's Latest fell back to an older release; the soak's operator acts in
 * region one only), nor where the newer Latest was withdrawn upstream before the others
 * could fetch it (no download can bring it there any more).
 */
export function targetsDisagree(views: readonly TargetView[], series: readonly SeriesFacts[]) {
  const problems: string[] = [];
  if (views.length < 2) return problems;
  for (const s of series.filter((f) => !f.retired)) {
    const name = latestNameOf(s.title);
    const held = views.map(({ target, observation, knowledge }) => {
      const latest = observation.images.find(
        (i) => i.owner === knowledge.owner && i.name === name && isSoakImage(i, knowledge),
      );
      const version = latest ? prop(latest, P.version) : undefined;
      const release = version ? knowledge.releases.get(releaseKey(s.id, version)) : undefined;
      const operatorHeld = observation.images.some(
        (i) =>
          knowledge.operatorDeactivated.has(i.id) &&
          i.status === 'deactivated' &&
          prop(i, P.series) === s.id,
      );
      return { target, version, release, operatorHeld };
    });
    if (held.some((h) => h.operatorHeld)) continue;
    const versions = new Set(held.map((h) => h.version ?? 'none'));
    if (versions.size <= 1) continue;
    const newest = held.reduce((a, b) =>
      (b.release?.order ?? -1) > (a.release?.order ?? -1) ? b : a,
    );
    if (newest.release?.withdrawn) continue;
    problems.push(
      `targets disagree on series ${s.id}: its Latest is ${held.map((h) => `${h.version ?? 'none'} in ${h.target}`).join(', ')}`,
    );
  }
  return problems;
}
