// Following the downloader's durable progress: the allowance is what the fact names, the body
// ends when the file is whole, and a download started again from zero, removed (rejected) or
// silent ends the sending with FollowAbandoned.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type StagingWritten, stagingPaths } from '@imagecycle/contracts';
import { FollowAbandoned, StagedFollower } from '../src/follow-staged.ts';

const EPOCH = 'a'.repeat(32);
const setUp = () => {
  const paths = stagingPaths(mkdtempSync(join(tmpdir(), 'follow-')), 'debian-12', '20261120-1');
  mkdirSync(paths.dir, { recursive: true });
  const say = (fact: Partial<StagingWritten>) =>
    writeFileSync(
      paths.written,
      JSON.stringify({ file: 'download.part', epoch: EPOCH, bytes: 0, complete: false, ...fact }),
    );
  return { paths, say };
};
const later = (ms: number, action: () => void) => setTimeout(action, ms);

describe('StagedFollower', () => {
  it('allows what the fact names, waits for more, and ends when the file is whole', async () => {
    const { paths, say } = setUp();
    expect(await StagedFollower.of(paths, 'x')).toBeUndefined(); // nothing staged yet
    say({ bytes: 1000 });
    writeFileSync(paths.part, Buffer.alloc(5000));
    const follower = await StagedFollower.of(paths, 'x', { pollMs: 5 });
    expect(await follower?.until(0)).toBe(1000);
    later(30, () => say({ bytes: 3000 }));
    expect(await follower?.until(1000)).toBe(3000);
    later(30, () => say({ bytes: 5000, complete: true }));
    expect(await follower?.until(3000)).toBe(5000);
    expect(await follower?.until(5000)).toBe('end');
    // the part file became the disk image: the fact names it, and it opens
    writeFileSync(paths.disk, Buffer.alloc(5000));
    rmSync(paths.part);
    later(30, () => say({ file: 'disk.img', bytes: 5000, complete: true }));
    const handle = await follower?.open();
    expect((await handle?.stat())?.size).toBe(5000);
    await handle?.close();
  });

  it('a new epoch, a removed staging directory or a stall end it with FollowAbandoned', async () => {
    const restarted = setUp();
    restarted.say({ bytes: 1000 });
    const one = await StagedFollower.of(restarted.paths, 'x', { pollMs: 5 });
    later(30, () => restarted.say({ epoch: 'b'.repeat(32), bytes: 2000 }));
    await expect(one?.until(1000)).rejects.toThrow(FollowAbandoned);

    const rejected = setUp();
    rejected.say({ bytes: 1000 });
    const two = await StagedFollower.of(rejected.paths, 'x', { pollMs: 5 });
    later(30, () => rmSync(rejected.paths.dir, { recursive: true }));
    await expect(two?.verified()).rejects.toThrow(/rejected or removed/);

    const stalled = setUp();
    stalled.say({ bytes: 1000 });
    const three = await StagedFollower.of(stalled.paths, 'x', { pollMs: 5, stallMs: 50 });
    await expect(three?.until(1000)).rejects.toThrow(/has not grown/);
  });

  it('waits for the marker, and a complete file that is shorter than what was sent is refused', async () => {
    const { paths, say } = setUp();
    say({ bytes: 4000, complete: true });
    const follower = await StagedFollower.of(paths, 'x', { pollMs: 5 });
    await expect(follower?.until(5000)).rejects.toThrow(FollowAbandoned);
    let marked = false;
    later(40, () => {
      writeFileSync(paths.marker, '{}');
      marked = true;
    });
    await follower?.verified();
    expect(marked).toBe(true);
  });
});
