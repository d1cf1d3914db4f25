// The uploader against the real Keystone and Glance when the service's token is revoked while
// an upload is in flight: the release must end published with the right hash (or fail with
// a retryable error that a retry turns into a publication) - never a hash-mismatch verdict
// from bytes counted twice.
//
// Glance checks a token when a request's headers reach it and then trusts its cached answer
// for minutes, so only a token Glance has not seen yet can be refused. The test therefore
// has the session take a fresh token for the upload (as it does when the old one is about
// to expire), and puts a proxy in front of Glance that lets the client send part of the body,
// holds it there, revokes the token the upload carries, and only then passes the request on.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import {
  type AddressInfo,
  connect as connectTcp,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Artifact,
  PROPERTY,
  type Release,
  stagingMarker,
  stagingPaths,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { OpenStackClient, resolveCloudConfig } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { cloudNames, connect, runPrefix } from '@imagecycle/test/support/clouds';
import { countRequests } from '@imagecycle/test/support/request-count';
import { makeQcow2, MiB } from '@imagecycle/test/mirror';
import { upload, type UploadDeps, UploadRejected } from '../src/index.ts';

const service = connect('service');
const seriesId = runPrefix('revoked');
let owner: string;
let proxy: HoldingProxy;

interface HoldingProxy {
  url: string;
  /** Body bytes the client had sent when the token was revoked, and the upload's size. */
  readonly held: { received: number; total: number }[];
  close(): Promise<void>;
}

/** Revokes `token` with the admin cloud's token (Keystone: DELETE /v3/auth/tokens). */
async function revoke(token: string): Promise<void> {
  const admin = await connect('admin').session.token();
  const authUrl = resolveCloudConfig({ cloud: cloudNames.admin })
    .auth.authUrl.replace(/\/+$/, '')
    .replace(/\/v3$/, '');
  const answer = await fetch(`${authUrl}/v3/auth/tokens`, {
    method: 'DELETE',
    headers: { 'x-auth-token': admin.value, 'x-subject-token': token, connection: 'close' },
  });
  if (answer.status !== 204) throw new Error(`revoking the token answered ${answer.status}`);
}

/**
 * A TCP proxy in front of Glance: each client connection is one connection to Glance, bytes
 * passed through both ways untouched, so the client meets Glance's own behaviour. The first
 * image upload (PUT .../file) is held once `holdAt` bytes of its body have arrived: the
 * client is mid-upload; the token the upload carries is revoked; then the bytes go on.
 */
async function startHoldingProxy(target: string, holdAt: number): Promise<HoldingProxy> {
  const upstream = new URL(target);
  const held: HoldingProxy['held'] = [];
  const sockets = new Set<Socket>();
  let armed = true;
  const server: NetServer = createNetServer((client) => {
    const glance = connectTcp(Number(upstream.port), upstream.hostname);
    for (const socket of [client, glance]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => glance.destroy());
    glance.on('error', () => client.destroy());
    glance.pipe(client);
    // While armed: bytes held back from Glance since an upload's request line was seen.
    let pending: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      if (!armed) {
        glance.write(chunk);
        return;
      }
      if (!pending) {
        const at = chunk.indexOf('PUT /v2/images/');
        if (at < 0) {
          glance.write(chunk);
          return;
        }
        glance.write(chunk.subarray(0, at)); // the end of an earlier request, if any
        chunk = chunk.subarray(at);
      }
      pending = pending ? Buffer.concat([pending, chunk]) : chunk;
      const text = pending.toString('latin1', 0, Math.min(pending.length, 16384));
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return; // the rest of the head is on its way
      if (!/^PUT \/v2\/images\/[^ ]+\/file HTTP\/1\.1\r\n/.test(text)) {
        glance.write(pending); // some other PUT: not held
        pending = undefined;
        return;
      }
      const received = pending.length - (headEnd + 4);
      if (received < holdAt) return;
      armed = false;
      client.pause();
      const head = text.slice(0, headEnd);
      const token = /\r\nx-auth-token: *([^\r]+)/i.exec(head)?.[1] ?? '';
      const total = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
      held.push({ received, total });
      const bytes = pending;
      void revoke(token).then(
        () => {
          glance.write(bytes);
          client.resume();
        },
        () => client.destroy(),
      );
    };
    client.on('data', onData);
    client.on('end', () => glance.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname.replace(/\/$/, '')}`,
    held,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const stagingDir = mkdtempSync(join(tmpdir(), 'revoked-staging-'));

/** A release staged as the downloader leaves it: the disk image, then its marker. */
function artifactFor(version: string) {
  // 4 MiB of data clusters: the client is well inside the body when the proxy holds it.
  const bytes = makeQcow2({ seed: `${seriesId}-${version}`, dataClusters: 64 });
  const paths = stagingPaths(stagingDir, seriesId, version);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.disk, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const artifact: Artifact = {
    path: paths.disk,
    size: bytes.length,
    // The upstream's checksum only: the uploader hashes the bytes as it sends them.
    upstreamChecksum: { algorithm: 'sha256', value: sha256 },
    diskFormat: 'qcow2',
    virtualSize: 64 * MiB,
  };
  const release: Release = {
    series: seriesId,
    version,
    buildDate: '2026-12-01',
    url: `https://example.test/${version}/disk.qcow2`,
    diskFormat: 'qcow2',
    compression: 'none',
    checksum: { algorithm: 'sha256', value: sha256 },
    signature: { status: 'not-required' },
    properties: {},
  };
  writeFileSync(paths.marker, JSON.stringify(stagingMarker(release, artifact)));
  return { artifact, release, sha512: createHash('sha512').update(bytes).digest('hex') };
}

const series = {
  id: seriesId,
  title: `Test OS ${seriesId}`,
  naming: 'default',
  vendor: 'itest',
  properties: { os_distro: 'testos', os_version: '1' },
  minDisk: 1,
  minRam: 128,
  retired: false,
  communityHidden: false,
} as unknown as Series;

beforeAll(async () => {
  owner = await service.projectId();
  proxy = await startHoldingProxy(await service.session.endpoint('image'), 1 * MiB);
});

afterAll(async () => {
  await proxy.close();
  for (const image of await listManagedImages(service.glance, { owner, series: seriesId }))
    await service.glance.deleteImage(image.id);
});

describe('a token revoked while an upload is in flight', () => {
  it('ends with the release published under the right hash, never a hash-mismatch', async () => {
    const config = resolveCloudConfig({ cloud: cloudNames.service });
    const client = OpenStackClient.connect({
      config: { ...config, endpointOverrides: { ...config.endpointOverrides, image: proxy.url } },
    });
    const requests = countRequests(client);
    // The token the uploader lists and creates with; Glance will have seen (and cached) it.
    const seenByGlance = await client.session.token();
    const stop = client.observe((info) => {
      // The candidate exists: the upload is next. Take a token Glance has not seen for it.
      if (info.method === 'POST' && info.path.endsWith('/v2/images') && info.status === 201)
        client.session.invalidate(seenByGlance);
    });
    const reconciles: string[] = [];
    const deps: UploadDeps = {
      glance: client.glance,
      owner,
      stagingDir,
      findSeries: (id) => (id === seriesId ? series : undefined),
      enqueueReconcile: (s) => Promise.resolve(void reconciles.push(s)),
    };
    const ctx = { progress: () => Promise.resolve() };
    const { artifact, release, sha512 } = artifactFor('20261201');

    let outcome: Awaited<ReturnType<typeof upload>> | undefined;
    let failure: unknown;
    try {
      outcome = await upload({ release, artifact }, ctx, deps);
    } catch (error) {
      failure = error;
    }
    stop();

    // The token really was revoked mid-upload, and Glance really refused the upload.
    expect(proxy.held).toHaveLength(1);
    expect(proxy.held[0]!.received).toBeGreaterThanOrEqual(1 * MiB);
    expect(proxy.held[0]!.received).toBeLessThan(artifact.size);
    expect(proxy.held[0]!.total).toBe(artifact.size);
    expect(requests.of({ service: 'image', method: 'PUT', status: 401 })).toBe(1);

    expect(failure, String(failure)).not.toBeInstanceOf(UploadRejected);
    if (failure !== undefined) {
      // Allowed: a retryable error, and the queue's retry publishes the release.
      expect(failure).toMatchObject({ retryable: true });
      outcome = await upload({ release, artifact }, ctx, deps);
    }
    const image = await service.glance.getImage(outcome!.imageId);
    expect(image).toMatchObject({
      status: 'active',
      os_hash_algo: 'sha512',
      os_hash_value: sha512,
      size: artifact.size,
      [PROPERTY.state]: 'verified',
    });
    expect(reconciles).toEqual([seriesId]);
    expect(existsSync(artifact.path)).toBe(false);
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261201' }),
    ).toHaveLength(1);
  });
});
