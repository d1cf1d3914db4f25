// The README's main command as a newcomer runs it (minus the stack set-up ./dev does): the
// demo goes through every simulated day and ends with the control plane's URL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listManagedImages } from '@imagecycle/inventory';
import { connect } from '../support/clouds.ts';

describe('the demo', () => {
  it('publishes, demotes, keeps an image in use, reaps it, and prints where Bull Board is', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const demo = spawn(process.execPath, [join(import.meta.dirname, 'demo.ts')], {
      env: { ...process.env, IMAGECYCLE_HTTP_PORT: String(port), IMAGECYCLE_DEMO_EXIT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.on('exit', resolve));
    if (!process.env.IMAGECYCLE_STACK_DIR) {
      // against another cloud the demo must refuse: it deletes the managed images it finds
      expect(code).toBe(3);
      expect(err).toContain('runs only on the local stack');
      return;
    }
    expect(code, err).toBe(0);
    expect(out).toContain('Ubuntu 24.04 Noble Numbat - Latest');
    expect(out).toMatch(/demoted\s+ubuntu-24\.04/);
    expect(out).toMatch(/last used \d{4}-\d{2}-\d{2}/);
    expect(out).toMatch(/reaped\s+ubuntu-24\.04/);
    expect(out).toContain(`Bull Board   http://127.0.0.1:${port}/queues   user demo   password `);
    // it leaves the cloud as it found it: nothing managed remains for the next test
    expect(out).toMatch(/removed the demo's \d+ images/);
    const service = connect('service');
    expect(await listManagedImages(service.glance, { owner: await service.projectId() })).toEqual(
      [],
    );
  }, 600_000);
});
