// The README's main command as a newcomer runs it (minus the stack set-up ./dev does): the
// demo goes through every simulated day and ends with the control plane's URL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { listManagedImages } from '@imagecycle/inventory';
import { connect } from '../support/clouds.ts';

// The demo deletes every managed image it finds, so it runs only on the local stack - the
// same condition the demo itself checks. `./dev test` exports the stack's settings: there it
// runs; against another cloud (OS_CLOUD set, no stack) it is reported as skipped.
const stackDir = process.env.IMAGECYCLE_STACK_DIR;
const onLocalStack = Boolean(stackDir && process.env.OS_CLIENT_CONFIG_FILE?.startsWith(stackDir));

function startDemo(env: NodeJS.ProcessEnv) {
  const demo = spawn(process.execPath, [join(import.meta.dirname, 'demo.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { out: '', err: '' };
  demo.stdout.on('data', (chunk: Buffer) => (output.out += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (output.err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => demo.on('exit', resolve));
  return { demo, output, exited };
}

describe('the demo', () => {
  it('refuses to run anywhere but the local stack (it deletes the managed images it finds)', async () => {
    // the stack's settings taken away: what another cloud looks like to the demo
    const env = { ...process.env };
    delete env.IMAGECYCLE_STACK_DIR;
    const { demo, output, exited } = startDemo(env);
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000)),
    ]);
    if (code === 'still running') demo.kill('SIGINT');
    expect(code, output.err).toBe(3);
    expect(output.err).toContain('runs only on the local stack');
    expect(output.out).toBe('');
  });

  it.skipIf(!onLocalStack)(
    'publishes, demotes, keeps an image in use, reaps it, and leaves Bull Board and the status page up',
    async () => {
      // what an earlier run leaves in Redis (it removes its images, not its records): a
      // record of what Ubuntu 24.04 published that the demo's clean slate must not keep
      const redis = new Redis(process.env.REDIS_URL ?? '');
      await redis.hset(
        'imagecycle-demo:published',
        'ubuntu-24.04',
        JSON.stringify({
          series: 'ubuntu-24.04',
          at: new Date().toISOString(),
          latest: '20261231',
          versions: ['20261231'],
          by: 'reconcile',
        }),
      );
      redis.disconnect();
      const port = 20000 + Math.floor(Math.random() * 20000);
      const { demo, output, exited } = startDemo({
        ...process.env,
        IMAGECYCLE_HTTP_PORT: String(port),
      });
      // as a newcomer would: wait for the URLs, open the status page, then Ctrl-C
      const ready = await Promise.race([
        exited.then(() => false),
        (async () => {
          while (!output.out.includes('Ctrl-C stops')) await new Promise((r) => setTimeout(r, 250));
          return true;
        })(),
      ]);
      expect(ready, output.err).toBe(true);
      expect(output.out).toContain('Ubuntu 24.04 Noble Numbat - Latest');
      // every series' candidate booted, and printed its family's boot line, before publishing
      expect(output.out).toContain('smoke tests: 17 passed, 0 failed');
      expect(output.out).toMatch(/fedora-coreos-stable\s+passed\s+[\d.]+ s {2}ignition/);
      expect(output.out).toMatch(/windows-2019-gui\s+passed\s+[\d.]+ s {2}cloudbase-init/);
      expect(output.out).toMatch(/demoted\s+ubuntu-24\.04/);
      expect(output.out).toMatch(/last used \d{4}-\d{2}-\d{2}/);
      expect(output.out).toMatch(/reaped\s+ubuntu-24\.04/);
      expect(output.out).toContain(
        `Bull Board   http://127.0.0.1:${port}/queues   user demo   password `,
      );
      expect(output.out).toContain(`status page  http://127.0.0.1:${port}/status`);
      const password = /user demo {3}password (\S+)/.exec(output.out)?.[1] ?? '';
      const page = await fetch(`http://127.0.0.1:${port}/status`, {
        headers: { authorization: `Basic ${Buffer.from(`demo:${password}`).toString('base64')}` },
      });
      expect(page.status).toBe(200);
      const html = await page.text();
      const ubuntu = html.slice(html.indexOf('<section data-series="ubuntu-24.04">'));
      const states = [
        ...ubuntu.slice(0, ubuntu.indexOf('</section>')).matchAll(/data-state="(\w+)"/g),
      ];
      // the timeline of the demo's series: what was reaped on day 12, then what is left
      expect(states.map((m) => m[1])).toContain('reaped');
      expect(states.map((m) => m[1]).at(-1)).toBe('latest');

      demo.kill('SIGINT');
      expect(await exited, output.err).toBe(0);
      // it leaves the cloud as it found it: nothing managed remains for the next test
      expect(output.out).toMatch(/removed the demo's \d+ images/);
      const service = connect('service');
      expect(await listManagedImages(service.glance, { owner: await service.projectId() })).toEqual(
        [],
      );
    },
    600_000,
  );
});
