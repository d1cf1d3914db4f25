// `imagecycle janitor` as operators run it: real processes, the mirror's catalogue, Redis
// (a queue prefix of this file's own) and Glance. It enqueues one pass; with --wait it waits
// for a janitor worker to run it and prints the report; an unknown series is a usage error,
// and a wait nobody answers times out with exit 4.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, janitorQueue } from '@imagecycle/contracts';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { mirrorCatalogueVars } from '@imagecycle/test/support/mirror-catalogue';
import { cloudNames } from '@imagecycle/test/support/clouds';
import {
  type RunningProcess,
  runImagecycle,
  startImagecycle,
} from '@imagecycle/test/support/processes';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';

const { prefix, runtime } = testRuntime('janitor-cli');
let mirror: Mirror;
let env: NodeJS.ProcessEnv;
let worker: RunningProcess | undefined;

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: mkdtempSync(join(tmpdir(), `staging-${prefix}-`)),
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await worker?.stop();
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await mirror.stop();
});

/** The CLI as a child process, without blocking this process (the mirror runs here). */
const cli = (args: readonly string[]) => runImagecycle(args, env);

interface Report {
  series: number;
  reconciled: unknown[];
  removedCandidates: unknown[];
  keptCandidates: unknown[];
  resumedReaps: unknown[];
  removedStaging: string[];
}

describe('imagecycle janitor', () => {
  it('enqueues one pass; an unknown series is a usage error; a wait no worker answers times out', async () => {
    const enqueued = await cli(['janitor', '--json']);
    expect(enqueued.status, enqueued.stderr).toBe(0);
    const { enqueued: jobId } = JSON.parse(enqueued.stdout) as { enqueued: string };
    const job = await runtime.queue(janitorQueue).getJob(jobId);
    expect(job?.data).toEqual({ trigger: 'manual', target: 'default' }); // every series, and staging
    expect(await job?.getState()).toBe('waiting');

    const unknown = await cli(['janitor', '--series', 'debian-12,no-such-os']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no-such-os');

    const alone = await cli(['janitor', '--series', 'debian-12', '--wait', '--timeout', '2']);
    expect(alone.status).toBe(4);
    expect(alone.stderr).toMatch(/is still waiting after 2 s; is a janitor worker running\?/);
    expect(alone.ms).toBeGreaterThanOrEqual(2000);
  });

  it('with --wait, a janitor worker runs the pass and its report is printed', async () => {
    worker = startImagecycle(['worker', 'janitor'], env);
    const one = await cli([
      'janitor',
      '--series',
      'debian-12',
      '--series',
      'flatcar-stable',
      '--wait',
      '--json',
    ]);
    expect(one.status, one.stderr).toBe(0);
    const { job, report } = JSON.parse(one.stdout) as { job: string; report: Report };
    expect(report).toMatchObject({ series: 2, removedStaging: [] });
    expect((await runtime.queue(janitorQueue).getJob(job))?.data).toEqual({
      trigger: 'manual',
      target: 'default',
      series: ['debian-12', 'flatcar-stable'],
    });

    const all = await cli(['janitor', '--wait']);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^(nothing to repair|\d+ repair\(s\)) in 17 series$/,
    );
    expect(worker.stderr()).toBe('');
  });
});
