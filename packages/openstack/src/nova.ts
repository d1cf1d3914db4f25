// Nova: the server listings the usage check reads, and the server lifecycle a smoke test needs.
import { bothSignals, markerPages, pollUntil, pollUntilGone } from './poll.ts';
import type { Session } from './session.ts';
import { parseJson, type Query } from './transport.ts';

export interface Server {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  /** Empty string (not an object) for servers booted from a volume. */
  image: { id: string } | '' | null;
  flavor: unknown;
  created: string;
  [member: string]: unknown;
}

export interface ServerListOptions {
  /** Every project's servers (needs the admin role). */
  allTenants?: boolean;
  /** Only servers booted from this image. */
  image?: string;
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

export function compareMicroversion(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export class NovaClient {
  readonly #session: Session;
  readonly #signal: AbortSignal | undefined;
  /** Shared with every client made by withSignal: the cloud is asked once. */
  readonly #version: { microversion?: Promise<string> };

  /** With a `signal`, every request and wait of this client ends when it is aborted. */
  constructor(
    session: Session,
    signal?: AbortSignal,
    version: { microversion?: Promise<string> } = {},
  ) {
    this.#session = session;
    this.#signal = signal;
    this.#version = version;
  }

  /** The same client (same session, token and microversion) whose requests and waits
   * `signal` can cancel. */
  withSignal(signal: AbortSignal): NovaClient {
    return new NovaClient(this.#session, bothSignals(this.#signal, signal), this.#version);
  }

  async #call(spec: Omit<Parameters<Session['request']>[0], 'service' | 'url'> & { path: string }) {
    const base = await this.#session.endpoint('compute');
    const microversion = await this.microversion();
    const { path, headers, ...rest } = spec;
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
   * The microversion used: the wanted one, or the cloud's maximum when that is lower. Asked
   * without this client's signal: the answer is shared, one job's cancellation must not
   * become every job's error.
   */
  microversion(): Promise<string> {
    this.#version.microversion ??= (async () => {
      const base = await this.#session.endpoint('compute');
      const reply = await this.#session.request({
        service: 'compute',
        method: 'GET',
        url: `${base}/`,
        expect: [200],
      });
      const body = parseJson<{ version?: { version?: string } }>(reply, 'compute: GET /');
      const max = body.version?.version || '2.1';
      return compareMicroversion(max, WANTED_MICROVERSION) < 0 ? max : WANTED_MICROVERSION;
    })();
    return this.#version.microversion;
  }

  /** Every server (every status), page by page with markers. */
  listServers(options: ServerListOptions = {}): AsyncGenerator<Server> {
    const limit = options.limit ?? 1000;
    return markerPages(async (marker) => {
      const query: Query = {
        all_tenants: options.allTenants ? 1 : undefined,
        image: options.image,
        limit,
        marker,
      };
      const reply = await this.#call({
        method: 'GET',
        path: '/servers/detail',
        query,
        expect: [200],
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

  /** Deletes a server; one already gone counts as deleted (returns false). */
  async deleteServer(id: string): Promise<boolean> {
    const reply = await this.#call({
      method: 'DELETE',
      path: `/servers/${encodeURIComponent(id)}`,
      expect: [204, 404],
    });
    return reply.status === 204;
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

  /** The id of a flavor given by id or by name; an unknown one is an error naming it. */
  async resolveFlavor(flavor: string): Promise<string> {
    const reply = await this.#call({
      method: 'GET',
      path: '/flavors',
      query: { is_public: 'None' },
      expect: [200],
      repeatable: true,
    });
    const { flavors } = parseJson<{ flavors: { id: string; name: string }[] }>(
      reply,
      'compute: GET /flavors',
    );
    const found = flavors.find((f) => f.id === flavor) ?? flavors.find((f) => f.name === flavor);
    if (!found)
      throw new Error(
        `compute: no flavor "${flavor}" (known: ${flavors.map((f) => f.name).join(', ')})`,
      );
    return found.id;
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

  /** Waits until the server is gone (404). */
  waitForServerGone(id: string, timeoutMs: number): Promise<void> {
    return pollUntilGone(`server ${id}`, () => this.getServer(id), timeoutMs, this.#signal);
  }
}
