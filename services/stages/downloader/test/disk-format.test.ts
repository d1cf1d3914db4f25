import { describe, expect, it } from 'vitest';
import { makeQcow2 } from '@imagecycle/test/mirror';
import type { DownloadRejected } from '../src/index.ts';
import { sniffHeader, stagingPaths } from '../src/index.ts';

const vmdk = () => {
  const b = Buffer.alloc(512);
  b.write('KDMV', 0, 'latin1');
  b.writeBigUInt64LE(2097152n, 12); // sectors: 1 GiB
  return b;
};

describe('sniffHeader', () => {
  it('reads qcow2 and vmdk virtual sizes, and accepts raw only when the feed says raw', () => {
    const qcow2 = makeQcow2({ seed: 'x', virtualSize: 64 * 1024 * 1024 });
    expect(sniffHeader(qcow2.subarray(0, 1024), qcow2.length, 'qcow2', 't')).toEqual({
      format: 'qcow2',
      virtualSize: 64 * 1024 * 1024,
    });
    expect(sniffHeader(vmdk(), 512, 'vmdk', 't')).toEqual({
      format: 'vmdk',
      virtualSize: 1024 ** 3,
    });
    expect(sniffHeader(Buffer.alloc(1024), 1024 * 1024, 'raw', 't')).toEqual({
      format: 'raw',
      virtualSize: 1024 * 1024,
    });
  });

  it('refuses an HTML page, a compressed file, an odd-sized raw, and a format the feed did not promise', () => {
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as DownloadRejected).reason;
      }
      return 'accepted';
    };
    const html = Buffer.from('<!DOCTYPE html><html><body>404</body></html>'.padEnd(1024, ' '));
    expect(reason(() => sniffHeader(html, 1024, 'raw', 't'))).toBe('not-a-disk-image');
    expect(reason(() => sniffHeader(html, 1024, 'qcow2', 't'))).toBe('not-a-disk-image');
    expect(
      reason(() =>
        sniffHeader(
          Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, ...Buffer.alloc(1018)]),
          1024,
          'raw',
          't',
        ),
      ),
    ).toBe('not-a-disk-image');
    expect(reason(() => sniffHeader(Buffer.alloc(1000), 1000, 'raw', 't'))).toBe(
      'not-a-disk-image',
    );
    const qcow2 = makeQcow2({ seed: 'y' });
    expect(reason(() => sniffHeader(qcow2.subarray(0, 1024), qcow2.length, 'raw', 't'))).toBe(
      'format-mismatch',
    );
  });
});

describe('stagingPaths', () => {
  it('derives names from series and version only, never letting them leave the staging dir', () => {
    expect(stagingPaths('/staging', 'ubuntu-24.04', '20261101.1').disk).toBe(
      '/staging/ubuntu-24.04/20261101.1/disk.img',
    );
    for (const [series, version] of [
      ['../../etc', '../passwd'],
      ['..', '..'],
      ['.', '.'],
      ['/', '/etc'],
    ] as const) {
      const hostile = stagingPaths('/staging', series, version).dir;
      expect(hostile.startsWith('/staging/'), hostile).toBe(true);
      expect(hostile.split('/').slice(2), hostile).toHaveLength(2);
      expect(
        hostile.split('/').filter((part) => part === '..' || part === '.'),
        hostile,
      ).toEqual([]);
    }
  });

  it('gives two releases one directory only when they are the same release', () => {
    const dirs = [
      ['s', '1.0+1'],
      ['s', '1.0_1'],
      ['s', '1.0 1'],
      ['s', '1.0:1'],
      ['s', '1.0/1'],
      ['s/1', '0'],
      ['s_1', '0'],
    ].map(([series, version]) => stagingPaths('/staging', series ?? '', version ?? '').dir);
    expect(new Set(dirs).size, dirs.join(' ')).toBe(dirs.length);
  });
});
