// The soak's invariant checker on made-up clouds: a healthy one passes, and each rule fires
// on the cloud that breaks it (a checker that cannot fail would make the soak worthless).
import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import {
  checkInvariants,
  convergenceProblems,
  fingerprint,
  type Knowledge,
  type Observation,
  releaseKey,
  type ReleaseFacts,
  targetsDisagree,
} from './invariants.ts';

const OWNER = 'service-project';
const hex = (c: string, n: number) => c.repeat(n);

function release(version: string, order: number, extra: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return {
    series: 'debian-12',
    version,
    order,
    sha512: hex(String(order), 128),
    sha256: hex(String(order), 64),
    size: 1000 + order,
    genuine: true,
    withdrawn: false,
    ...extra,
  };
}

const releases = [release('v1', 1), release('v2', 2), release('v3', 3)];

function managed(
  id: string,
  version: string,
  state: string,
  extra: Partial<GlanceImage> = {},
): GlanceImage {
  const facts = releases.find((r) => r.version === version);
  const latest = state === 'latest';
  return {
    id,
    name: latest ? 'Debian 12 - Latest' : `Debian 12 - 2026-11-0${id.length}`,
    status: 'active',
    visibility: latest ? 'public' : state === 'candidate' ? 'private' : 'community',
    os_hidden: state === 'candidate',
    protected: false,
    owner: OWNER,
    tags: ['imagecycle'],
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    size: facts?.size ?? 1,
    virtual_size: null,
    checksum: null,
    os_hash_algo: 'sha512',
    os_hash_value: facts?.sha512 ?? hex('f', 128),
    disk_format: 'qcow2',
    container_format: 'bare',
    min_disk: 8,
    min_ram: 512,
    imagecycle_series: 'debian-12',
    imagecycle_version: version,
    imagecycle_state: state,
    ...extra,
  };
}

const tenantImage: GlanceImage = {
  ...managed('tenant-1', 'v1', 'community'),
  owner: 'tenant-project',
  name: 'my own image',
  visibility: 'private',
};

function healthy(): { observation: Observation; knowledge: Knowledge } {
  const latest = managed('img-3', 'v3', 'latest');
  const images = [managed('img-1', 'v1', 'community'), managed('img-2', 'v2', 'community'), latest];
  const all = [...images, tenantImage];
  return {
    observation: {
      images: all,
      lookups: new Map([['debian-12', [latest]]]),
      servers: [
        {
          id: 'srv-1',
          name: 'vm',
          status: 'ACTIVE',
          tenant_id: 't',
          image: { id: 'img-1' },
          flavor: {},
          created: '2026-11-02T00:00:00Z',
        },
      ],
      volumes: [
        {
          id: 'vol-1',
          name: null,
          status: 'available',
          size: 10,
          volume_image_metadata: { image_id: 'img-2' },
        },
      ],
    },
    knowledge: {
      owner: OWNER,
      series: [{ id: 'debian-12', title: 'Debian 12', retired: false }],
      published: new Set(['debian-12']),
      releases: new Map(releases.map((r) => [releaseKey(r.series, r.version), r])),
      operatorDeactivated: new Set(),
      seenManaged: new Map(
        images.map((i) => [
          i.id,
          { series: 'debian-12', version: String(i.imagecycle_version), name: i.name ?? '' },
        ]),
      ),
      untouched: new Map([[tenantImage.id, fingerprint(tenantImage)]]),
      unreadableDates: new Map(),
    },
  };
}

type Broken = (world: { observation: Observation; knowledge: Knowledge }) => {
  observation: Observation;
  knowledge: Knowledge;
};

const replaceImage = (observation: Observation, id: string, image: GlanceImage | undefined) => ({
  ...observation,
  images: observation.images.flatMap((i) => (i.id === id ? (image ? [image] : []) : [i])),
});

describe('checkInvariants', () => {
  it('passes a healthy cloud, and counts what it judged', () => {
    const { observation, knowledge } = healthy();
    const result = checkInvariants(observation, knowledge);
    expect(result.violations).toEqual([]);
    // 1 series + 2 used images + 3 images' bytes + 3 versions + 1 untouched image
    expect(result.checks).toBe(10);
  });

  const cases: [string, string, Broken][] = [
    [
      'two images named Latest (a demotion that never came)',
      'latest',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(
          observation,
          'img-2',
          managed('img-2', 'v2', 'latest', { name: 'Debian 12 - Latest', visibility: 'public' }),
        ),
      }),
    ],
    [
      'no Latest at all',
      'latest',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: {
          ...replaceImage(observation, 'img-3', managed('img-3', 'v3', 'community')),
          lookups: new Map(),
        },
      }),
    ],
    [
      'a deactivated Latest',
      'latest',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(
          observation,
          'img-3',
          managed('img-3', 'v3', 'latest', { status: 'deactivated' }),
        ),
      }),
    ],
    [
      'an older release as the Latest',
      'latest',
      ({ observation, knowledge }) => {
        const old = managed('img-2', 'v2', 'latest');
        const images = replaceImage(
          replaceImage(observation, 'img-3', managed('img-3', 'v3', 'community')),
          'img-2',
          old,
        );
        return { knowledge, observation: { ...images, lookups: new Map([['debian-12', [old]]]) } };
      },
    ],
    [
      'a tenant lookup that finds nothing',
      'latest',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: { ...observation, lookups: new Map([['debian-12', []]]) },
      }),
    ],
    [
      'a visible candidate',
      'latest',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: {
          ...observation,
          images: [
            ...observation.images,
            managed('cand', 'v3', 'candidate', { visibility: 'public', os_hidden: false }),
          ],
        },
      }),
    ],
    [
      'an image a server uses, deleted',
      'in-use',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(observation, 'img-1', undefined),
      }),
    ],
    [
      'an image a volume uses, left deactivated by imagecycle',
      'in-use',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(
          observation,
          'img-2',
          managed('img-2', 'v2', 'retiring', { status: 'deactivated' }),
        ),
      }),
    ],
    [
      'other bytes than upstream published',
      'verified-bytes',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(
          observation,
          'img-1',
          managed('img-1', 'v1', 'community', { os_hash_value: hex('e', 128) }),
        ),
      }),
    ],
    [
      'a release whose signature was forged, published',
      'verified-bytes',
      ({ observation, knowledge }) => ({
        observation,
        knowledge: {
          ...knowledge,
          releases: new Map([
            ...knowledge.releases,
            [releaseKey('debian-12', 'v1'), release('v1', 1, { genuine: false })],
          ]),
        },
      }),
    ],
    [
      'a build whose guest never boots, published',
      'verified-bytes',
      ({ observation, knowledge }) => ({
        observation,
        knowledge: {
          ...knowledge,
          releases: new Map([
            ...knowledge.releases,
            [releaseKey('debian-12', 'v1'), release('v1', 1, { bootable: false })],
          ]),
        },
      }),
    ],
    [
      'a version upstream never published',
      'verified-bytes',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: {
          ...observation,
          images: [...observation.images, managed('img-9', 'v9', 'community')],
        },
      }),
    ],
    [
      'two images of one version',
      'one-per-version',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: {
          ...observation,
          images: [...observation.images, managed('img-1b', 'v1', 'community')],
        },
      }),
    ],
    [
      'a tenant image written',
      'untouched',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(observation, tenantImage.id, {
          ...tenantImage,
          updated_at: '2026-11-05T00:00:00Z',
        }),
      }),
    ],
    [
      'an image reaped the day its unused-since became unreadable (a date failing open)',
      'grace',
      ({ observation, knowledge }) => ({
        knowledge: { ...knowledge, unreadableDates: new Map([['img-1', 'yesterday']]) },
        // no server uses it any more: only the date rule can judge its reap
        observation: { ...replaceImage(observation, 'img-1', undefined), servers: [] },
      }),
    ],
    [
      'a tenant image deleted',
      'untouched',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: replaceImage(observation, tenantImage.id, undefined),
      }),
    ],
    [
      'a new service image without the tag',
      'untouched',
      ({ observation, knowledge }) => ({
        knowledge,
        observation: {
          ...observation,
          images: [...observation.images, { ...managed('img-x', 'v3', 'community'), tags: [] }],
        },
      }),
    ],
  ];

  it.each(cases)('%s: a violation of "%s"', (_label, invariant, breakIt) => {
    const { observation, knowledge } = breakIt(healthy());
    const { violations } = checkInvariants(observation, knowledge);
    expect(violations.length).toBeGreaterThan(0);
    expect(new Set(violations.map((v) => v.invariant))).toEqual(new Set([invariant]));
  });

  it('counts servers in every state as users: soft-deleted, shelved, and booted from a volume (through that volume)', () => {
    const { observation, knowledge } = healthy();
    const server = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
      id,
      name: id,
      status,
      tenant_id: 't',
      image: { id: 'img-1' } as { id: string } | '',
      flavor: {},
      created: '2026-11-03T00:00:00Z',
      ...extra,
    });
    const judged = (servers: Observation['servers'], volumes = observation.volumes) =>
      checkInvariants(
        { ...replaceImage(observation, 'img-1', undefined), servers, volumes },
        knowledge,
      ).violations.filter((v) => v.subject === 'image img-1');
    for (const status of ['SOFT_DELETED', 'SHELVED_OFFLOADED', 'RESCUE', 'SHUTOFF']) {
      const found = judged([server('srv-x', status)]);
      expect(found.map((v) => v.invariant)).toEqual(['in-use']);
      expect(found[0]?.detail).toContain(`server srv-x (${status},`);
    }
    // a server booted from a volume names no image; the volume it boots from does
    const bootVolume = {
      id: 'vol-boot',
      name: null,
      status: 'in-use',
      size: 10,
      volume_image_metadata: { image_id: 'img-1' },
    };
    const bfv = server('srv-bfv', 'SOFT_DELETED', {
      image: '',
      'os-extended-volumes:volumes_attached': [{ id: 'vol-boot', delete_on_termination: false }],
    });
    const found = judged([bfv], [...observation.volumes, bootVolume]);
    expect(found.map((v) => v.invariant)).toEqual(['in-use']);
    expect(found[0]?.detail).toContain(
      'server srv-bfv (SOFT_DELETED, created 2026-11-03T00:00:00Z) through volume vol-boot',
    );
    expect(found[0]?.detail).toContain('volume vol-boot (in-use');
    // and without a user, a deleted image is no violation of this rule
    expect(judged([])).toEqual([]);
  });

  it('a retired series needs no Latest, and an operator-deactivated image in use is the operator’s doing', () => {
    const { observation, knowledge } = healthy();
    const deactivated = managed('img-1', 'v1', 'community', { status: 'deactivated' });
    const result = checkInvariants(
      {
        ...replaceImage(
          replaceImage(observation, 'img-3', managed('img-3', 'v3', 'community')),
          'img-1',
          deactivated,
        ),
        lookups: new Map(),
      },
      {
        ...knowledge,
        series: [{ id: 'debian-12', title: 'Debian 12', retired: true }],
        operatorDeactivated: new Set(['img-1']),
      },
    );
    expect(result.violations).toEqual([]);
  });

  it('a Latest the operator just deactivated waits for the next janitor pass, not longer', () => {
    const { observation, knowledge } = healthy();
    const deactivated = managed('img-3', 'v3', 'latest', { status: 'deactivated' });
    const seen = { ...replaceImage(observation, 'img-3', deactivated), lookups: new Map() };
    const operator = { ...knowledge, operatorDeactivated: new Set(['img-3']) };
    const before = checkInvariants(seen, { ...operator, awaitingJanitor: new Set(['img-3']) });
    expect(before.violations).toEqual([]);
    const after = checkInvariants(seen, { ...operator, awaitingJanitor: new Set() });
    expect(after.violations.map((v) => v.invariant)).toContain('latest');
  });
});

describe('an image the operator reactivated', () => {
  it('is not owed the Latest role before the next janitor pass, and is owed it after', () => {
    const { observation, knowledge } = healthy();
    // v3 was deactivated, the janitor gave the role to v2, the operator reactivated v3
    const latest = managed('img-2', 'v2', 'latest');
    let seen = replaceImage(observation, 'img-2', latest);
    seen = replaceImage(seen, 'img-3', managed('img-3', 'v3', 'community'));
    seen = { ...seen, lookups: new Map([['debian-12', [latest]]]) };
    const waiting = checkInvariants(seen, { ...knowledge, awaitingJanitor: new Set(['img-3']) });
    expect(waiting.violations).toEqual([]);
    const passed = checkInvariants(seen, { ...knowledge, awaitingJanitor: new Set() });
    expect(passed.violations.map((v) => v.detail).join('\n')).toMatch(
      /the Latest is not the newest release/,
    );
  });
});

describe('convergenceProblems', () => {
  it('names orphan candidates, retiring images, a retired Latest, staged files and failed jobs', () => {
    const { observation, knowledge } = healthy();
    expect(convergenceProblems(observation, knowledge, { staged: [], failedJobs: [] })).toEqual([]);
    const problems = convergenceProblems(
      {
        ...observation,
        images: [
          ...observation.images,
          managed('cand', 'v3', 'candidate'),
          managed('ret', 'v1', 'retiring', { status: 'deactivated' }),
        ],
      },
      { ...knowledge, series: [{ id: 'debian-12', title: 'Debian 12', retired: true }] },
      { staged: ['debian-12/v3/download.part'], failedJobs: ['download x: 404'] },
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'orphan candidate',
      'still retiring',
      'retired series debian-12 still has a Latest',
      'staging not empty',
      'failed job',
    ]);
  });
});

describe('targetsDisagree', () => {
  const SERIES = [{ id: 'debian-12', title: 'Debian 12', retired: false }];
  /** Region two's Glance holding only v1 and v2, v2 its Latest. */
  const behind = () => {
    const { observation, knowledge } = healthy();
    return {
      observation: {
        ...observation,
        images: [managed('r2-1', 'v1', 'community'), managed('r2-2', 'v2', 'latest')],
      },
      knowledge: { ...knowledge, untouched: new Map() },
    };
  };

  it('passes targets with the same Latest, and one target alone', () => {
    const one = healthy();
    const two = healthy();
    expect(
      targetsDisagree(
        [
          { target: 'region-one', ...one },
          { target: 'region-two', ...two },
        ],
        SERIES,
      ),
    ).toEqual([]);
    expect(targetsDisagree([{ target: 'region-one', ...one }], SERIES)).toEqual([]);
  });

  it('names a series whose targets publish different releases, or one has none', () => {
    const one = healthy();
    expect(
      targetsDisagree(
        [
          { target: 'region-one', ...one },
          { target: 'region-two', ...behind() },
        ],
        SERIES,
      ),
    ).toEqual([
      'targets disagree on series debian-12: its Latest is v3 in region-one, v2 in region-two',
    ]);
    const empty = { ...behind(), observation: { ...behind().observation, images: [] } };
    expect(
      targetsDisagree(
        [
          { target: 'region-one', ...one },
          { target: 'region-two', ...empty },
        ],
        SERIES,
      ),
    ).toEqual([
      'targets disagree on series debian-12: its Latest is v3 in region-one, none in region-two',
    ]);
  });

  it('owes nothing for a retired series, an operator holding an image deactivated, or a newer release withdrawn', () => {
    const one = healthy();
    const views = (first: typeof one) => [
      { target: 'region-one', ...first },
      { target: 'region-two', ...behind() },
    ];
    expect(targetsDisagree(views(one), [{ ...SERIES[0]!, retired: true }])).toEqual([]);
    const held = {
      observation: {
        ...one.observation,
        images: [
          ...one.observation.images,
          managed('img-9', 'v3', 'community', { status: 'deactivated' }),
        ],
      },
      knowledge: { ...one.knowledge, operatorDeactivated: new Set(['img-9']) },
    };
    expect(targetsDisagree(views(held), SERIES)).toEqual([]);
    const withdrawn = {
      ...one,
      knowledge: {
        ...one.knowledge,
        releases: new Map(
          releases.map((r) => [
            releaseKey(r.series, r.version),
            r.version === 'v3' ? { ...r, withdrawn: true } : r,
          ]),
        ),
      },
    };
    expect(targetsDisagree(views(withdrawn), SERIES)).toEqual([]);
  });
});
