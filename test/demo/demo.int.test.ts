// The README's main command as a newcomer runs it (minus the stack set-up ./dev does): the
// demo goes through every simulated day and ends with the control plane's URL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listManagedImages } from '@imagecycle/inventory';
import { connect } from '../support/clouds.ts';

describe('the demo', () => {
  it('publishes, demotes, keeps an image in use, reaps it, and leaves Bull Board and the status page up', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const demo = spawn(process.execPath, [join(import.meta.dirname, 'demo.ts')], {
      env: { ...process.env, IMAGECYCLE_HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', resolve));
    if (!process.env.IMAGECYCLE_STACK_DIR) {
      // against another cloud the demo must refuse: it deletes the managed images it finds
      expect(await exited).toBe(3);
      expect(err).toContain('runs only on the local stack');
      return;
    }
    // as a newcomer would: wait for the URLs, open the status page, then Ctrl-C
    const ready = await Promise.race([
      exited.then(() => false),
      (async () => {
        while (!out.includes('Ctrl-C stops')) await new Promise((r) => setTimeout(r, 250));
        return true;
      })(),
    ]);
    expect(ready, err).toBe(true);
    expect(out).toContain('Ubuntu 24.04 Noble Numbat - Latest');
    expect(out).toMatch(/demoted\s+ubuntu-24\.04/);
    expect(out).toMatch(/last used \d{4}-\d{2}-\d{2}/);
    expect(out).toMatch(/reaped\s+ubuntu-24\.04/);
    expect(out).toContain(`Bull Board   http://127.0.0.1:${port}/queues   user demo   password `);
    expect(out).toContain(`status page  http://127.0.0.1:${port}/status`);
    const password = /user demo {3}password (\S+)/.exec(out)?.[1] ?? '';
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
    expect(await exited, err).toBe(0);
    // it leaves the cloud as it found it: nothing managed remains for the next test
    expect(out).toMatch(/removed the demo's \d+ images/);
    const service = connect('service');
    expect(await listManagedImages(service.glance, { owner: await service.projectId() })).toEqual(
      [],
    );
  }, 600_000);
});
