// The durable progress fact an overlapped upload follows: never more than is in the file, a
// new epoch whenever the file starts again from zero (published before its first byte), the
// same epoch when a download resumes - also in another process - and when the part file
// becomes the disk image.
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stagingPaths } from '@imagecycle/contracts';
import { readWritten, WrittenFact } from '../src/written.ts';

const setUp = () => {
  const paths = stagingPaths(mkdtempSync(join(tmpdir(), 'written-')), 'debian-12', '20261120-1');
  mkdirSync(paths.dir, { recursive: true });
  return paths;
};
const settle = (ms = 450) => new Promise((resolve) => setTimeout(resolve, ms));
/** A fact at least every 100 ms while the file grows (the default waits up to 1 s). */
const OFTEN = { pollMs: 20, syncMs: 100 };

describe('WrittenFact', () => {
  it('follows the growing file, never naming more than it holds, and announces the first bytes once', async () => {
    const paths = setUp();
    let announced = 0;
    const fact = new WrittenFact(paths, () => (announced += 1), OFTEN);
    writeFileSync(paths.part, '');
    await fact.follow(paths.part, true);
    const first = await readWritten(paths);
    expect(first).toMatchObject({ file: 'download.part', bytes: 0, complete: false });
    expect(announced).toBe(0);
    const seen: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      appendFileSync(paths.part, Buffer.alloc(100_000, i));
      await settle(120);
      const now = await readWritten(paths);
      expect(now?.epoch).toBe(first?.epoch);
      expect(now?.bytes).toBeLessThanOrEqual(statSync(paths.part).size);
      seen.push(now?.bytes ?? -1);
    }
    expect(seen.at(-1)).toBeGreaterThan(0);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen); // never goes back
    expect(announced).toBe(1);
    await fact.complete(paths.part, 600_000);
    expect(await readWritten(paths)).toEqual({
      file: 'download.part',
      epoch: first?.epoch,
      bytes: 600_000,
      complete: true,
    });
    writeFileSync(paths.disk, readFileSync(paths.part));
    await fact.renamed(paths.disk);
    expect(await readWritten(paths)).toMatchObject({
      file: 'disk.img',
      epoch: first?.epoch,
      complete: true,
    });
    await fact.stop();
  });

  it('a resume keeps the epoch, also in another process; a start from zero changes it', async () => {
    const paths = setUp();
    writeFileSync(paths.part, Buffer.alloc(50_000, 1));
    const one = new WrittenFact(paths, undefined, OFTEN);
    await one.follow(paths.part, true);
    await settle();
    const before = await readWritten(paths);
    expect(before?.bytes).toBe(50_000);
    await one.stop(); // the worker is gone; the fact stays

    const two = new WrittenFact(paths, undefined, OFTEN); // another worker resumes the download
    await two.follow(paths.part, false);
    expect(await readWritten(paths)).toEqual(before);
    appendFileSync(paths.part, Buffer.alloc(50_000, 2));
    await settle();
    expect(await readWritten(paths)).toMatchObject({ epoch: before?.epoch, bytes: 100_000 });

    // the bytes did not hash right: the file is removed and fetched again from zero
    rmSync(paths.part);
    await two.follow(paths.part, true);
    const again = await readWritten(paths);
    expect(again).toMatchObject({ bytes: 0, complete: false });
    expect(again?.epoch).not.toBe(before?.epoch);
    writeFileSync(paths.part, Buffer.alloc(10_000, 3));
    await settle();
    expect(await readWritten(paths)).toMatchObject({ epoch: again?.epoch, bytes: 10_000 });
    await two.stop();
  });

  it('a restart that finds the file already whole keeps the epoch on record', async () => {
    const paths = setUp();
    writeFileSync(paths.part, Buffer.alloc(70_000, 1));
    const one = new WrittenFact(paths, undefined, OFTEN);
    await one.follow(paths.part, true);
    await settle();
    const before = await readWritten(paths);
    await one.stop();
    const two = new WrittenFact(paths, undefined, OFTEN);
    await two.complete(paths.part, 70_000);
    expect(await readWritten(paths)).toEqual({ ...before, bytes: 70_000, complete: true });
    await two.stop();
  });

  it('is coarse: the first bytes at once, then a fact per syncBytes or per syncMs, not per write', async () => {
    const paths = setUp();
    let announced = 0;
    const fact = new WrittenFact(paths, () => (announced += 1), {
      pollMs: 10,
      syncBytes: 100_000,
      syncMs: 600,
    });
    writeFileSync(paths.part, '');
    await fact.follow(paths.part, true);
    appendFileSync(paths.part, Buffer.alloc(1_000, 1));
    await settle(100);
    // the first bytes at once, so that the upload can start
    expect(await readWritten(paths)).toMatchObject({ bytes: 1_000 });
    expect(announced).toBe(1);
    // less than syncBytes more, before syncMs: no new fact
    appendFileSync(paths.part, Buffer.alloc(60_000, 2));
    await settle(100);
    expect(await readWritten(paths)).toMatchObject({ bytes: 1_000 });
    // syncBytes more: a fact without waiting for syncMs
    appendFileSync(paths.part, Buffer.alloc(60_000, 3));
    await settle(100);
    expect(await readWritten(paths)).toMatchObject({ bytes: 121_000 });
    // a little more: named once syncMs has passed since the last fact
    appendFileSync(paths.part, Buffer.alloc(10, 4));
    await settle(200);
    expect(await readWritten(paths)).toMatchObject({ bytes: 121_000 });
    await settle(600);
    expect(await readWritten(paths)).toMatchObject({ bytes: 121_010 });
    await fact.stop();
  });
});
