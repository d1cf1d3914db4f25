// Cinder v3: the volume listings the usage check reads (volume_image_metadata tells which
// image a volume was made from), and volume create/delete for tests.
import { markerPages, pollUntil, pollUntilGone } from './poll.ts';
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
  limit?: number;
}

export class CinderClient {
  readonly #session: Session;
  requests = 0;

  constructor(session: Session) {
    this.#session = session;
  }

  async #call(spec: Omit<Parameters<Session['request']>[0], 'service' | 'url'> & { path: string }) {
    // The catalogue's URL already carries the project id (/v3/<project>).
    const base = await this.#session.endpoint('block-storage');
    this.requests += 1;
    const { path, ...rest } = spec;
    return this.#session.request({ ...rest, service: 'block-storage', url: `${base}${path}` });
  }

  listVolumes(options: VolumeListOptions = {}): AsyncGenerator<Volume> {
    const limit = options.limit ?? 1000;
    return markerPages(async (marker) => {
      const query: Query = { all_tenants: options.allTenants ? 1 : undefined, limit, marker };
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

  async listAllVolumes(options: VolumeListOptions = {}): Promise<Volume[]> {
    const volumes: Volume[] = [];
    for await (const volume of this.listVolumes(options)) volumes.push(volume);
    return volumes;
  }

  async createVolume(volume: { size: number; name?: string; imageRef?: string }): Promise<Volume> {
    const reply = await this.#call({
      method: 'POST',
      path: '/volumes',
      json: { volume },
      expect: [202],
    });
    return parseJson<{ volume: Volume }>(reply, 'block-storage: POST /volumes').volume;
  }

  async getVolume(id: string): Promise<Volume> {
    const reply = await this.#call({
      method: 'GET',
      path: `/volumes/${encodeURIComponent(id)}`,
      expect: [200],
    });
    return parseJson<{ volume: Volume }>(reply, `block-storage: GET /volumes/${id}`).volume;
  }

  async deleteVolume(id: string): Promise<boolean> {
    const reply = await this.#call({
      method: 'DELETE',
      path: `/volumes/${encodeURIComponent(id)}`,
      expect: [202, 404],
    });
    return reply.status === 202;
  }

  waitForVolumeStatus(id: string, targets: readonly string[], timeoutMs: number): Promise<Volume> {
    return pollUntil({
      what: `volume ${id}`,
      probe: () => this.getVolume(id),
      status: (volume) => volume.status,
      targets,
      failed: (volume) => volume.status === 'error',
      timeoutMs,
    });
  }

  waitForVolumeGone(id: string, timeoutMs: number): Promise<void> {
    return pollUntilGone(`volume ${id}`, () => this.getVolume(id), timeoutMs);
  }
}
