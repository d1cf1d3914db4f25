import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { armedFailpoints } from '../src/index.ts';

describe('failpoints', () => {
  it('reads the armed points and refuses a name no stage declares', () => {
    expect([...armedFailpoints({ IMAGECYCLE_FAILPOINTS: ' renamer:after-promote ,' })]).toEqual([
      'renamer:after-promote',
    ]);
    expect(armedFailpoints({}).size).toBe(0);
    expect(() => armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'renamer:afterpromote' })).toThrow(
      /unknown point\(s\) renamer:afterpromote/,
    );
  });

  it('kills the process with SIGKILL at an armed point and does nothing at the others', () => {
    const script = `
      import { failpoint } from ${JSON.stringify(join(import.meta.dirname, '../src/index.ts'))};
      failpoint('uploader:mid-upload');
      process.stdout.write('passed uploader\\n');
      failpoint('renamer:after-promote');
      process.stdout.write('passed renamer\\n');
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, IMAGECYCLE_FAILPOINTS: 'renamer:after-promote' },
      encoding: 'utf8',
    });
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout).toBe('passed uploader\n');
    expect(run.stderr).toContain('failpoint renamer:after-promote: SIGKILL');
  });
});
