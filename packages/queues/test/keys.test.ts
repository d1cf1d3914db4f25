// The names built from series and version (job ids, staging directories) must be lossless:
// two different releases never share one, whatever characters their versions carry.
import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, jobIdFrom } from '../src/index.ts';

const samples = [
  '1.0+1',
  '1.0_1',
  '1.0-1',
  '1.0~1',
  '1.0%2B1',
  '1.0~2B1',
  'a:b',
  'a/b',
  'a\\b',
  '.',
  '..',
  '.hidden',
  '-',
  '--',
  'a--b',
  'a-',
  '-a',
  'a---b',
  '~',
  '~~',
  '',
  ' ',
  'ünïcødé',
  '日本',
  '🙂',
  'ubuntu-24.04',
  '20261120.1',
];

describe('encodeKey', () => {
  it('keeps ordinary series and version names as they are', () => {
    for (const plain of ['ubuntu-24.04', '20261120.1', 'fedora-coreos-stable', 'a_b.c-d'])
      expect(encodeKey(plain)).toBe(plain);
  });

  it('gives different names to different strings, and decodes back', () => {
    const encoded = samples.map(encodeKey);
    expect(new Set(encoded).size).toBe(samples.length);
    for (const [i, sample] of samples.entries()) expect(decodeKey(encoded[i] ?? '')).toBe(sample);
  });

  it('uses only characters that are safe in a job id and a file name', () => {
    for (const sample of samples) {
      const name = encodeKey(sample);
      expect(name, sample).toMatch(/^[A-Za-z0-9._~-]+$/);
      expect(name.startsWith('.'), sample).toBe(false);
      expect(name.includes('--'), sample).toBe(false);
      expect(name.startsWith('-') || name.endsWith('-'), sample).toBe(false);
    }
  });

  it('refuses to decode what it never encodes', () => {
    for (const foreign of ['~2b', '~2', 'a~', '.a', 'a--b', '-a', '~41', 'a%20b'])
      expect(decodeKey(foreign), foreign).toBeUndefined();
  });
});

describe('jobIdFrom', () => {
  it('keeps the readable ids', () => {
    expect(jobIdFrom('download', 'ubuntu-24.04', '20261120.1')).toBe(
      'download--ubuntu-24.04--20261120.1',
    );
  });

  it('gives two releases one id only when they are the same release', () => {
    expect(jobIdFrom('download', 's', '1.0+1')).not.toBe(jobIdFrom('download', 's', '1.0_1'));
    expect(jobIdFrom('download', 'a--b', 'c')).not.toBe(jobIdFrom('download', 'a', 'b--c'));
    expect(jobIdFrom('download', 'a-', 'b')).not.toBe(jobIdFrom('download', 'a', '-b'));
    const ids = new Set<string>();
    for (const series of samples)
      for (const version of samples) ids.add(jobIdFrom(series, version));
    expect(ids.size).toBe(samples.length ** 2);
  });

  it('never contains a colon, and splits back into its parts', () => {
    const id = jobIdFrom('upload', 'a:b--c', '1.0+1:x');
    expect(id).not.toContain(':');
    expect(id.split('--').map(decodeKey)).toEqual(['upload', 'a:b--c', '1.0+1:x']);
  });
});
