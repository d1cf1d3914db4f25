// Nova: the server listings the usage check reads, and the server lifecycle a smoke test needs.
import { bothSignals, markerPages, pollUntil, pollUntilGone } from './poll.ts';
import type { Session } from './session.ts';
import { parseJson, type Query } from './transport.ts';

/** A flavor as `GET /flavors/detail` gives it (the fields used here). */
interface Flavor {
  id: string;
  name: string;
  /** MiB */
  ram: number;
  /** GiB of root disk; 0: none (boot from a volume) */
  disk: number;
  vcpus: number;
}

export interface Server {
  id: string;
  /** Absent in the partial record of a server in a cell that does not answer (2.69+). */
  name?: string;
  /** `UNKNOWN` for a server in a cell that does not answer (2.69+). */
  status: string;
  tenant_id: string;
  /** Empty string (not an object) for servers booted from a volume; absent in a partial
   * record of a server in a cell that does not answer. */
  image?: { id: string } | '' | null;
  flavor?: unknown;
  created: string;
  [member: string]: unknown;
}

export interface ServerListOptions {
  /** Every project's servers (needs the admin role). */
  allTenants?: boolean;
  /** Only servers booted from this image. */
  image?: string;
  /** Deleted and soft-deleted servers instead of live ones (admin only); with
   * `status: 'SOFT_DELETED'` only the soft-deleted ones, which a restore brings back. */
  deleted?: boolean;
  /** Only servers in this status. */
  status?: string;
  /** Page size; the marker is the last server of the previous page. */
  limit?: number;
}

export interface NewServer {
  name: string;
  imageRef: string;
  flavorRef: string;
  /** 'none' or 'auto' (2.37+), or explicit networks. */
  networks?: 'none' | 'auto' | { uuid: string }[];
  metadata?: Record<string, string>;
}

/** The microversion this client speaks when the cloud offers it (2.37 for networks: none). */
const WANTED_MICROVERSION = '2.37';
/**
 * From 2.69 a listing includes the servers of a cell that does not answer, as partial records
 * with status UNKNOWN; before it, Nova leaves them out without a word
 * (list_records_by_skipping_down_cells). Listings ask for it whenever the cloud offers it.
 */
export const DOWN_CELLS_MICROVERSION = '2.69';

export function compareMicroversion(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export class NovaClient {
  readonly #session: Session;
  readonly #signal: AbortSignal | undefined;
  /** Shared with every client made by withSignal: the cloud is asked once. */
  readonly #version: { maximum?: Promise<string> };

  /** With a `signal`, every request and wait of this client ends when it is aborted. */
  constructor(session: Session, signal?: AbortSignal, version: { maximum?: Promise<string> } = {}) {
    this.#session = session;
    this.#signal = signal;
    this.#version = version;
  }

  /** The same client (same session, token and microversion) whose requests and waits
   * `signal` can cancel. */
  withSignal(signal: AbortSignal): NovaClient {
    return new NovaClient(this.#session, bothSignals(this.#signal, signal), this.#version);
  }

  async #call(
    spec: Omit<Parameters<Session['request']>[0], 'service' | 'url'> & {
      path: string;
      microversion?: string;
    },
  ) {
    const base = await this.#session.endpoint('compute');
    const { path, headers, microversion: wanted, ...rest } = spec;
    const microversion = wanted ?? (await this.microversion());
    return this.#session.request({
      ...rest,
      service: 'compute',
      signal: this.#signal,
      url: path.startsWith('http') ? path : `${base}${path}`,
      headers: {
        ...headers,
        'openstack-api-version': `compute ${microversion}`,
        'x-openstack-nova-api-version': microversion,
      },
    });
  }

  /**
   * The highest microversion the cloud offers. Asked without this client's signal: the answer
   * is shared, one job's cancellation must not become every job's error.
   */
  maximumMicroversion(): Promise<string> {
    this.#version.maximum ??= (async () => {
      const base = await this.#session.endpoint('compute');
      const reply = await this.#session.request({
        service: 'compute',
        method: 'GET',
        url: `${base}/`,
        expect: [200],
      });
      const body = parseJson<{ version?: { version?: string } }>(reply, 'compute: GET /');
      return body.version?.version || '2.1';
    })();
    // a failed question is asked again next time, not remembered as the answer
    this.#version.maximum.catch(() => {
      this.#version.maximum = undefined;
    });
    return this.#version.maximum;
  }

  /** The microversion used: the wanted one, or the cloud's maximum when that is lower. */
  async microversion(): Promise<string> {
    const max = await this.maximumMicroversion();
    return compareMicroversion(max, WANTED_MICROVERSION) < 0 ? max : WANTED_MICROVERSION;
  }

  /** Whether a listing shows the servers of a cell that does not answer (2.69+). */
  async listsDownCells(): Promise<boolean> {
    return compareMicroversion(await this.maximumMicroversion(), DOWN_CELLS_MICROVERSION) >= 0;
  }

  /**
   * Every live server (every status but SOFT_DELETED, which needs `deleted`), page by page
   * with markers. Asked at 2.69 when the cloud offers it, so the servers of a cell that does
   * not answer appear (status UNKNOWN) instead of going missing.
   */
  listServers(options: ServerListOptions = {}): AsyncGenerator<Server> {
    const limit = options.limit ?? 1000;
    return markerPages(async (marker) => {
      const query: Query = {
        all_tenants: options.allTenants ? 1 : undefined,
        image: options.image,
        deleted: options.deleted ? 'true' : undefined,
        status: options.status,
        limit,
        marker,
      };
      const reply = await this.#call({
        method: 'GET',
        path: '/servers/detail',
        query,
        expect: [200],
        ...((await this.listsDownCells()) ? { microversion: DOWN_CELLS_MICROVERSION } : {}),
      });
      const page = parseJson<{ servers: Server[]; servers_links?: { rel: string }[] }>(
        reply,
        'compute: GET /servers/detail',
      );
      return {
        items: page.servers,
        hasNextLink: page.servers_links?.some((link) => link.rel === 'next'),
      };
    }, limit);
  }

  async createServer(server: NewServer): Promise<Server> {
    const reply = await this.#call({
      method: 'POST',
      path: '/servers',
      json: { server: { networks: 'none', ...server } },
      expect: [202],
    });
    return parseJson<{ server: Server }>(reply, 'compute: POST /servers').server;
  }

  async getServer(id: string): Promise<Server> {
    const reply = await this.#call({
      method: 'GET',
      path: `/servers/${encodeURIComponent(id)}`,
      expect: [200],
    });
    return parseJson<{ server: Server }>(reply, `compute: GET /servers/${id}`).server;
  }

  /**
   * Deletes a server; one already gone counts as deleted (returns false). A server a cloud
   * with reclaim_instance_interval has already soft-deleted is force-deleted: a second DELETE
   * would leave it stuck in task_state `deleting`, beyond both reclaim and force-delete.
   */
  async deleteServer(id: string): Promise<boolean> {
    const reply = await this.#call({
      method: 'GET',
      path: `/servers/${encodeURIComponent(id)}`,
      expect: [200, 404],
    });
    if (reply.status === 404) return false;
    const { server } = parseJson<{ server: Server }>(reply, `compute: GET /servers/${id}`);
    if (server.status === 'SOFT_DELETED') {
      await this.forceDeleteServer(id);
      return true;
    }
    const deleted = await this.#call({
      method: 'DELETE',
      path: `/servers/${encodeURIComponent(id)}`,
      expect: [204, 404],
    });
    return deleted.status === 204;
  }

  async getConsoleOutput(id: string, lines?: number): Promise<string> {
    const reply = await this.#call({
      method: 'POST',
      path: `/servers/${encodeURIComponent(id)}/action`,
      json: { 'os-getConsoleOutput': lines ? { length: lines } : {} },
      expect: [200],
      repeatable: true,
    });
    return parseJson<{ output: string }>(reply, 'compute: os-getConsoleOutput').output;
  }

  /** Every flavor the caller may use, public or not, with its size. */
  async #listFlavors(): Promise<Flavor[]> {
    const reply = await this.#call({
      method: 'GET',
      path: '/flavors/detail',
      query: { is_public: 'None' },
      expect: [200],
      repeatable: true,
    });
    return parseJson<{ flavors: Flavor[] }>(reply, 'compute: GET /flavors/detail').flavors;
  }

  /** The id of a flavor given by id or by name; an unknown one is an error naming it. */
  async resolveFlavor(flavor: string): Promise<string> {
    const flavors = await this.#listFlavors();
    const found = flavors.find((f) => f.id === flavor) ?? flavors.find((f) => f.name === flavor);
    if (!found)
      throw new Error(
        `compute: no flavor "${flavor}" (known: ${flavors.map((f) => f.name).join(', ')})`,
      );
    return found.id;
  }

  /**
   * The smallest flavor (by RAM, then disk, then vCPUs) with at least `minRam` MiB of RAM and
   * `minDisk` GiB of root disk - a flavor without a root disk (0) fits no image that names a
   * minimum disk, since its server would boot from a volume nobody made.
   */
  async smallestFlavor(fit: { minDisk: number; minRam: number }): Promise<string> {
    const flavors = await this.#listFlavors();
    const fitting = flavors
      .filter(
        (f) => f.ram >= fit.minRam && f.disk >= fit.minDisk && (f.disk > 0 || fit.minDisk === 0),
      )
      .sort((a, b) => a.ram - b.ram || a.disk - b.disk || a.vcpus - b.vcpus);
    const best = fitting[0];
    if (!best)
      throw new Error(
        `compute: no flavor has ${fit.minRam} MiB of RAM and ${fit.minDisk} GiB of disk (known: ${flavors.map((f) => `${f.name} ${f.ram} MiB/${f.disk} GiB`).join(', ')}): name one in defaults.smokeTest.flavor`,
      );
    return best.id;
  }

  /** Polls until the server reaches a target status; ERROR ends the wait at once. */
  waitForServerStatus(id: string, targets: readonly string[], timeoutMs: number): Promise<Server> {
    return pollUntil({
      what: `server ${id}`,
      probe: () => this.getServer(id),
      status: (server) => server.status,
      targets,
      failed: (server) => server.status === 'ERROR',
      detail: (server) => (server.fault as { message?: string } | undefined)?.message,
      timeoutMs,
      signal: this.#signal,
    });
  }

  /**
   * Waits until the server is gone (404). On a cloud that keeps deleted servers for a while
   * (reclaim_instance_interval), a delete only soft-deletes: the caller wants it gone, so a
   * SOFT_DELETED server is force-deleted (once).
   */
  waitForServerGone(id: string, timeoutMs: number): Promise<void> {
    let forced = false;
    return pollUntilGone(
      `server ${id}`,
      async () => {
        const server = await this.getServer(id);
        if (server.status === 'SOFT_DELETED' && !forced) {
          forced = true;
          await this.forceDeleteServer(id);
        }
        return server;
      },
      timeoutMs,
      this.#signal,
    );
  }

  /** Deletes a soft-deleted server for good (Nova answers 409 for one that is not). */
  async forceDeleteServer(id: string): Promise<void> {
    await this.#call({
      method: 'POST',
      path: `/servers/${encodeURIComponent(id)}/action`,
      json: { forceDelete: null },
      expect: [202, 404],
    });
  }
}
