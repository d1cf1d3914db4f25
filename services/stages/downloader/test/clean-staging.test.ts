// cleanStaging (the janitor's and every download's sweep of staging): a directory nothing
// changed in for longer than the abandonment age goes - a verified artifact long uploaded,
// or the `download.part` a withdrawn release left when its job died before judging it - while
// a download still writing, a young directory and the releases to keep stay.
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanStaging, stagingPaths } from '../src/index.ts';

const DAY = 24 * 3600 * 1000;
const now = Date.parse('2026-11-20T12:00:00Z');

/** A staging directory of `series`/`version` with `files`, all last changed at `at`. */
function leftover(
  stagingDir: string,
  series: string,
  version: string,
  files: Record<string, { bytes: string; at: number }>,
  dirAt: number,
) {
  const paths = stagingPaths(stagingDir, series, version);
  mkdirSync(paths.dir, { recursive: true });
  for (const [name, { bytes, at }] of Object.entries(files)) {
    writeFileSync(join(paths.dir, name), bytes);
    utimesSync(join(paths.dir, name), at / 1000, at / 1000);
  }
  utimesSync(paths.dir, dirAt / 1000, dirAt / 1000);
  return paths;
}

describe('cleanStaging', () => {
  it('removes the partial download a withdrawn release left, and a verified artifact long uploaded', async () => {
    const staging = mkdtempSync(join(tmpdir(), 'staging-'));
    const old = now - 4 * DAY;
    const withdrawn = leftover(
      staging,
      'ubuntu-24.04',
      '20261105',
      { 'download.part': { bytes: 'half an image', at: old } },
      old,
    );
    const uploaded = leftover(
      staging,
      'debian-12',
      '20261101-1',
      { 'disk.img': { bytes: 'image', at: old }, 'verified.json': { bytes: '{}', at: old } },
      old,
    );
    const removed = await cleanStaging(staging, [], 3 * DAY, now);
    expect(removed.sort()).toEqual(['debian-12/20261101-1', 'ubuntu-24.04/20261105']);
    expect(existsSync(withdrawn.dir)).toBe(false);
    expect(existsSync(uploaded.dir)).toBe(false);
  });

  it('keeps a download still writing (its directory is old, its part file is not), a young directory and the kept release', async () => {
    const staging = mkdtempSync(join(tmpdir(), 'staging-'));
    const old = now - 4 * DAY;
    const writing = leftover(
      staging,
      'ubuntu-24.04',
      '20261105',
      { 'download.part': { bytes: 'growing', at: now - 60_000 } },
      old,
    );
    const young = leftover(
      staging,
      'debian-12',
      '20261118-1',
      { 'download.part': { bytes: 'x', at: now - DAY } },
      now - DAY,
    );
    const kept = leftover(
      staging,
      'flatcar-stable',
      '4081.2.0',
      { 'download.part': { bytes: 'x', at: old } },
      old,
    );
    const removed = await cleanStaging(
      staging,
      [{ series: 'flatcar-stable', version: '4081.2.0' }],
      3 * DAY,
      now,
    );
    expect(removed).toEqual([]);
    for (const paths of [writing, young, kept]) expect(existsSync(paths.part)).toBe(true);
  });
});
