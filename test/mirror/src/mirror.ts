// The local upstream mirror: one HTTP server, every feed under `/<upstream host>/<path>`,
// driven from code (publish releases, switch faults on, read counters).
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishContext, Registry, type ImageSettings } from './context.ts';
import { Faults } from './faults.ts';
import { createHandler } from './http.ts';
import { MiB } from './images.ts';
import { armoredKeyring, generateTestKey, type TestKey } from './keys.ts';
import { RequestCounters } from './stats.ts';
import { Store } from './store.ts';
import {
  DISTROS,
  KEY_NAMES,
  type Distro,
  type KeyName,
  type PublicKeyInfo,
  type PublishedRelease,
  type PublishOptions,
} from './types.ts';
import { addDays, today, toDay, type Day } from './util.ts';
import type { Upstream } from './upstreams/common.ts';
import { centos } from './upstreams/centos.ts';
import { debian } from './upstreams/debian.ts';
import { el } from './upstreams/el.ts';
import { fcos } from './upstreams/fcos.ts';
import { flatcar } from './upstreams/flatcar.ts';
import { ubuntu } from './upstreams/ubuntu.ts';
import { windows } from './upstreams/windows.ts';

export interface MirrorOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Directory for the file tree; default a new temp dir, removed by `stop()`. */
  root?: string;
  /** Publish the day-1 state right away (`true`: today, or a `YYYY-MM-DD`). */
  seed?: boolean | string;
  /** Image sizes: qcow2 virtual size (64 MiB), allocated 64 KiB clusters per qcow2 (1), raw disk size (1 MiB). */
  images?: Partial<ImageSettings>;
}

/** What a catalogue under test should pin for a distro's signatures. */
export interface Trust {
  key: KeyName;
  /** Primary and signing-subkey fingerprints. */
  fingerprints: string[];
}

const SIGNERS: Partial<Record<Distro, KeyName>> = {
  'ubuntu-24.04': 'ubuntu-images',
  'ubuntu-22.04': 'ubuntu-images',
  'ubuntu-20.04': 'ubuntu-images',
  'ubuntu-minimal-24.04': 'ubuntu-images',
  'ubuntu-minimal-22.04': 'ubuntu-images',
  'centos-7': 'centos',
  'almalinux-9': 'almalinux',
  'almalinux-8': 'almalinux',
  'fedora-coreos-stable': 'fedora',
  'flatcar-stable': 'flatcar',
  'windows-2019-gui': 'imagecycle-builds',
  'windows-2019-core': 'imagecycle-builds',
};

const KEY_IDS: Record<KeyName, { name: string; email: string }> = {
  'ubuntu-images': { name: 'UEC Image Automatic Signing Key (test)', email: 'cdimage@ubuntu.test' },
  'ubuntu-streams': {
    name: 'Ubuntu Cloud Image Builder (test)',
    email: 'cloud-images@ubuntu.test',
  },
  centos: { name: 'CentOS Cloud SIG (test)', email: 'security@centos.test' },
  almalinux: { name: 'AlmaLinux OS 9 (test)', email: 'packager@almalinux.test' },
  fedora: { name: 'Fedora (test)', email: 'fedora-44-primary@fedoraproject.test' },
  flatcar: { name: 'Flatcar Buildbot (Official Builds) (test)', email: 'buildbot@flatcar.test' },
  'imagecycle-builds': { name: 'imagecycle image builds (test)', email: 'builds@imagecycle.test' },
};

export class Mirror {
  readonly baseUrl: string;
  readonly root: string;
  readonly faults: Faults;
  readonly requests: RequestCounters;
  /** Public halves of the upstream test keys. */
  readonly keys: Readonly<Record<KeyName, PublicKeyInfo>>;
  /** One armored block with every upstream public key (the forger's is not in it). */
  readonly keyring: string;
  /** The key forged signatures are made with. Trust it and the forgery tests mean nothing. */
  readonly forger: PublicKeyInfo;
  /** The day `seed()` last published (default for distros without a release yet). */
  seedDay: Day;

  readonly #server: Server;
  readonly #ownRoot: boolean;
  readonly #ctx: PublishContext;
  readonly #upstreams = new Map<Distro, Upstream>();
  readonly #releases = new Map<Distro, PublishedRelease[]>();
  readonly #queues = new Map<Upstream, Promise<unknown>>();
  readonly #secretKeys: Readonly<Record<KeyName, TestKey>>;

  /** Use `startMirror()`. */
  constructor(init: {
    server: Server;
    baseUrl: string;
    root: string;
    ownRoot: boolean;
    ctx: PublishContext;
    faults: Faults;
    requests: RequestCounters;
    keys: Record<KeyName, TestKey>;
    forger: TestKey;
    keyring: string;
  }) {
    this.#server = init.server;
    this.baseUrl = init.baseUrl;
    this.root = init.root;
    this.#ownRoot = init.ownRoot;
    this.#ctx = init.ctx;
    this.faults = init.faults;
    this.requests = init.requests;
    this.#secretKeys = init.keys;
    this.keyring = init.keyring;
    const pub = (k: TestKey): PublicKeyInfo => ({
      name: k.name,
      userId: `${k.name} <${k.email}>`,
      fingerprint: k.fingerprint,
      subkeyFingerprint: k.subkeyFingerprint,
      armoredPublic: k.armoredPublic,
    });
    this.keys = Object.fromEntries(KEY_NAMES.map((n) => [n, pub(init.keys[n])])) as Record<
      KeyName,
      PublicKeyInfo
    >;
    this.forger = pub(init.forger);
    this.seedDay = today();
    for (const factory of [ubuntu, debian, centos, el, fcos, flatcar, windows]) {
      const upstream = factory(init.ctx);
      for (const d of upstream.distros) this.#upstreams.set(d, upstream);
    }
  }

  /** `baseUrl` + mirror path (`/host/path`). */
  url(path: string): string {
    return this.#ctx.url(path.startsWith('/') ? path : `/${path}`);
  }

  feedUrl(distro: Distro): string {
    return this.url(this.#upstream(distro).feedPath(distro));
  }

  /** The fingerprints a catalogue should pin for this distro, if its upstream signs. */
  trust(distro: Distro): Trust | undefined {
    const key = SIGNERS[distro];
    if (!key) return undefined;
    return { key, fingerprints: [this.keys[key].fingerprint, this.keys[key].subkeyFingerprint] };
  }

  /** Publish a new release of one distro, in its upstream's real format. */
  async publish(distro: Distro, options: PublishOptions = {}): Promise<PublishedRelease> {
    const upstream = this.#upstream(distro);
    if (options.guestBoot !== undefined && !distro.startsWith('windows-'))
      throw new Error(
        `publish ${distro}: guestBoot is for the in-house Windows builds only (no other upstream publishes image properties)`,
      );
    const run = async () => {
      const previous = this.#releases.get(distro) ?? [];
      const last = previous.at(-1);
      const day =
        options.date !== undefined
          ? toDay(options.date)
          : last
            ? options.respin
              ? last.date
              : addDays(last.date, 1)
            : this.seedDay;
      const release = await upstream.publish(distro, day, options);
      this.#releases.set(distro, [...previous, release]);
      return release;
    };
    // one publish at a time per upstream: they rewrite shared index files
    const next = (this.#queues.get(upstream) ?? Promise.resolve()).then(run, run);
    this.#queues.set(
      upstream,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * Take a release back, as upstreams do with a broken build: it leaves the feed (the one
   * before it is the newest again) and its files answer 404. Ubuntu and Debian only.
   */
  async withdraw(distro: Distro, version: string): Promise<PublishedRelease> {
    const upstream = this.#upstream(distro);
    const withdraw = upstream.withdraw?.bind(upstream);
    if (!withdraw) throw new Error(`the mirror cannot withdraw ${distro} releases`);
    const run = async () => {
      const previous = this.#releases.get(distro) ?? [];
      const release = previous.find((r) => r.version === version);
      if (!release) throw new Error(`${distro} ${version} is not published`);
      await withdraw(distro, version);
      this.#releases.set(
        distro,
        previous.filter((r) => r !== release),
      );
      return release;
    };
    const next = (this.#queues.get(upstream) ?? Promise.resolve()).then(run, run);
    this.#queues.set(
      upstream,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The day-1 state: one release of every distro dated `date` (EOL ones: their frozen last builds). */
  async seed(date: string | Date = today()): Promise<PublishedRelease[]> {
    this.seedDay = toDay(date);
    const groups = new Map<Upstream, Distro[]>();
    for (const d of DISTROS) {
      const u = this.#upstream(d);
      groups.set(u, [...(groups.get(u) ?? []), d]);
    }
    const results = await Promise.all(
      [...groups].map(async ([upstream, distros]) => {
        const out: PublishedRelease[] = [];
        for (const d of distros)
          for (const plan of upstream.seedPlan(d, this.seedDay))
            out.push(await this.publish(d, { date: this.seedDay, ...plan }));
        return out;
      }),
    );
    return results.flat();
  }

  /** Everything published for a distro, oldest first (or for all distros). */
  releases(distro?: Distro): PublishedRelease[] {
    if (distro) return [...(this.#releases.get(distro) ?? [])];
    return [...this.#releases.values()].flat();
  }

  /** The newest release of a distro by the feed's own order (the last published one). */
  latest(distro: Distro): PublishedRelease | undefined {
    return this.#releases.get(distro)?.at(-1);
  }

  /** The private test key of an upstream, for tests that need to sign something themselves. */
  secretKey(name: KeyName): TestKey {
    return this.#secretKeys[name];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    if (this.#ownRoot) await rm(this.root, { recursive: true, force: true });
  }

  #upstream(distro: Distro): Upstream {
    const u = this.#upstreams.get(distro);
    if (!u) throw new Error(`unknown distro ${distro}; one of ${DISTROS.join(', ')}`);
    return u;
  }
}

export async function startMirror(options: MirrorOptions = {}): Promise<Mirror> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'imagecycle-mirror-')));
  await mkdir(root, { recursive: true });
  const [forger, ...generated] = await Promise.all([
    generateTestKey({ name: 'Mallory Forger (test)', email: 'mallory@forger.test' }),
    ...KEY_NAMES.map((n) => generateTestKey(KEY_IDS[n])),
  ]);
  const keys = Object.fromEntries(KEY_NAMES.map((n, i) => [n, generated[i] as TestKey])) as Record<
    KeyName,
    TestKey
  >;
  const keyring = await armoredKeyring(Object.values(keys));

  const store = new Store(root);
  const registry = new Registry();
  let origin = '';
  const faults = new Faults(() => origin);
  const requests = new RequestCounters(() => origin);
  const server = createServer(
    { keepAlive: true },
    createHandler({ store, registry, faults, counters: requests, keys, forger }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const images: ImageSettings = {
    virtualSize: 64 * MiB,
    dataClusters: 1,
    rawSize: MiB,
    ...options.images,
  };
  const ctx = new PublishContext(store, registry, keys, origin, images);
  const mirror = new Mirror({
    server,
    baseUrl: origin,
    root,
    ownRoot,
    ctx,
    faults,
    requests,
    keys,
    forger,
    keyring,
  });
  if (options.seed) await mirror.seed(options.seed === true ? today() : options.seed);
  return mirror;
}
