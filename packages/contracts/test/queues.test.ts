import { describe, expect, it } from 'vitest';
import { parsePayload } from '@imagecycle/queues';
import { allQueues, downloadQueue, type Release, releaseSchema } from '../src/index.ts';

const release: Release = {
  series: 'ubuntu-24.04',
  version: '20261120.1',
  buildDate: '2026-11-20',
  url: 'https://cloud-images.ubuntu.com/releases/noble/release-20261120.1/ubuntu-24.04-server-cloudimg-amd64.img',
  diskFormat: 'qcow2',
  compression: 'none',
  checksum: { algorithm: 'sha256', value: 'a'.repeat(64) },
  signature: { status: 'verified', signedBy: 'd2eb44626fddc30b513d5bb71a5d6c4c7db87c81' },
  properties: {},
};

describe('stage queues', () => {
  it('have unique names', () => {
    expect(new Set(allQueues.map((q) => q.name)).size).toBe(allQueues.length);
  });

  it('give one download job id per series and version', () => {
    const payload = parsePayload(downloadQueue, { release });
    expect(downloadQueue.jobId?.(payload)).toBe('download--ubuntu-24.04--20261120.1');
  });

  it('reject a release whose checksum does not fit its algorithm, naming the field', () => {
    const bad = { ...release, checksum: { algorithm: 'sha512', value: 'a'.repeat(64) } };
    expect(() => parsePayload(downloadQueue, { release: bad })).toThrow(
      /release\.checksum\.value: hex length/,
    );
    expect(releaseSchema.safeParse({ ...release, url: 'not a url' }).success).toBe(false);
  });
});
