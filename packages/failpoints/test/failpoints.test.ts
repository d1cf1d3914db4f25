import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { armedFailpoints } from '../src/index.ts';

const MODULE = JSON.stringify(join(import.meta.dirname, '../src/index.ts'));

describe('failpoints', () => {
  it('reads the armed points and refuses a name no stage declares', () => {
    expect([...armedFailpoints({ IMAGECYCLE_FAILPOINTS: ' renamer:after-promote ,' })]).toEqual([
      ['renamer:after-promote', 'kill'],
    ]);
    expect(armedFailpoints({}).size).toBe(0);
    expect(() => armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'renamer:afterpromote' })).toThrow(
      /unknown point\(s\) renamer:afterpromote/,
    );
  });

  it('reads a mode after the name (kill when none), and refuses a mode it does not know', () => {
    expect([
      ...armedFailpoints({
        IMAGECYCLE_FAILPOINTS:
          'reaper:after-deactivate = error,renamer:after-promote=kill,uploader:mid-upload',
      }),
    ]).toEqual([
      ['reaper:after-deactivate', 'error'],
      ['renamer:after-promote', 'kill'],
      ['uploader:mid-upload', 'kill'],
    ]);
    expect(() =>
      armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'reaper:after-deactivate=explode' }),
    ).toThrow(
      'IMAGECYCLE_FAILPOINTS entry "reaper:after-deactivate=explode" names unknown mode "explode"; known: kill, error',
    );
    expect(() => armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'reaper:after-deactivate=' })).toThrow(
      /names unknown mode ""/,
    );
    expect(() =>
      armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'reaper:after-deactivate=error=kill' }),
    ).toThrow(/names unknown mode "error=kill"/);
  });

  it('refuses error where a throw would escape the job, and one point armed two ways', () => {
    expect(() => armedFailpoints({ IMAGECYCLE_FAILPOINTS: 'uploader:mid-upload=error' })).toThrow(
      /uploader:mid-upload sits in a transfer's progress callback, where an error would escape the job; only kill there/,
    );
    expect(() =>
      armedFailpoints({
        IMAGECYCLE_FAILPOINTS: 'reaper:after-deactivate,reaper:after-deactivate=error',
      }),
    ).toThrow('IMAGECYCLE_FAILPOINTS arms reaper:after-deactivate twice, as kill and as error');
  });

  it('kills the process with SIGKILL at an armed point and does nothing at the others', () => {
    const script = `
      import { failpoint } from ${MODULE};
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

  it('throws a FailpointError at a point armed =error, every time, and the process lives on', () => {
    const script = `
      import { failpoint, FailpointError } from ${MODULE};
      failpoint('renamer:after-promote');
      for (let attempt = 1; attempt <= 3; attempt++)
        try {
          failpoint('reaper:after-deactivate');
          process.stdout.write('attempt ' + attempt + ' passed\\n');
        } catch (error) {
          process.stdout.write('attempt ' + attempt + ': ' + (error instanceof FailpointError) + ' ' + error.point + ' ' + error.message + '\\n');
        }
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, IMAGECYCLE_FAILPOINTS: 'reaper:after-deactivate=error' },
      encoding: 'utf8',
    });
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual(
      [1, 2, 3].map(
        (n) =>
          `attempt ${n}: true reaper:after-deactivate failpoint reaper:after-deactivate: an injected error`,
      ),
    );
    expect(run.stderr.match(/failpoint reaper:after-deactivate: error\n/g)).toHaveLength(3);
  });
});
