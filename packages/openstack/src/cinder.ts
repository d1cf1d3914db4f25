// Cinder v3: the volume listing the usage check reads (volume_image_metadata tells which
// image a volume was made from).
import { bothSignals, markerPages } from './poll.ts';
import type { Session } from './session.ts';
import { parseJson, type Query } from './transport.ts';

export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  'os-vol-tenant-attr:tenant_id'?: string;
  volume_image_metadata?: Record<string, string>;
  [member: string]: unknown;
}

export interface VolumeListOptions {
  allTenants?: boolean;
  /** Only this project's volumes (with allTenants; a filter only admins may use). */
  projectId?: string;
  limit?: number;
}

export class CinderClient {
  readonly #session: Session;
  readonly #signal: AbortSignal | undefined;

  /** With a `signal`, every request of this client ends when it is aborted. */
  constructor(session: Session, signal?: AbortSignal) {
    this.#session = session;
    this.#signal = signal;
  }

  /** The same client (same session and token) whose requests `signal` can cancel. */
  withSignal(signal: AbortSignal): CinderClient {
    return new CinderClient(this.#session, bothSignals(this.#signal, signal));
  }

  async #call(spec: Omit<Parameters<Session['request']>[0], 'service' | 'url'> & { path: string }) {
    // The catalogue's URL already carries the project id (/v3/<project>).
    const base = await this.#session.endpoint('block-storage');
    const { path, ...rest } = spec;
    return this.#session.request({
      ...rest,
      service: 'block-storage',
      url: `${base}${path}`,
      signal: this.#signal,
    });
  }

  /**
   * Who Cinder sees: the token's project and roles. Cinder honours `all_tenants` only for a
   * caller its policy calls admin (`context_is_admin`, by default the admin role) and
   * otherwise drops the filter without a word, listing the caller's own project.
   */
  async caller(): Promise<{ projectId: string | undefined; roles: string[] }> {
    const token = await this.#session.token();
    return { projectId: token.projectId, roles: [...token.roles] };
  }

  listVolumes(options: VolumeListOptions = {}): AsyncGenerator<Volume> {
    const limit = options.limit ?? 1000;
    return markerPages(async (marker) => {
      const query: Query = {
        all_tenants: options.allTenants ? 1 : undefined,
        project_id: options.projectId,
        limit,
        marker,
      };
      const reply = await this.#call({
        method: 'GET',
        path: '/volumes/detail',
        query,
        expect: [200],
      });
      const page = parseJson<{ volumes: Volume[]; volumes_links?: { rel: string }[] }>(
        reply,
        'block-storage: GET /volumes/detail',
      );
      return {
        items: page.volumes,
        hasNextLink: page.volumes_links?.some((link) => link.rel === 'next'),
      };
    }, limit);
  }
}
