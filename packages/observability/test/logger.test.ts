import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createMetrics } from '../src/index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('masks secret-named fields at any of the first three levels', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 't', destination });
    log.info(
      {
        password: 'p1',
        auth: { token: 't1', user: 'u' },
        req: { headers: { 'x-auth-token': 't2' } },
      },
      'hello',
    );
    const line = lines.join('');
    expect(line).not.toMatch(/p1|t1|t2/);
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      msg: 'hello',
      auth: { token: '[REDACTED]', user: 'u' },
    });
  });
});

describe('createMetrics', () => {
  it('exposes the rejection counter with its labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.releaseRejections.inc({ series: 'ubuntu-24.04', reason: 'bad-signature' });
    expect(await metrics.registry.metrics()).toContain(
      'imagecycle_release_rejections_total{series="ubuntu-24.04",reason="bad-signature"} 1',
    );
  });
});
