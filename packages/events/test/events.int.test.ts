// Events against a real Redis and a local webhook receiver.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Events } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const stream = `test-${randomBytes(4).toString('hex')}:events`;
const received: unknown[] = [];
const lines: object[] = [];
const logger = {
  info: (o: object) => lines.push(o),
  warn: (o: object) => lines.push({ warn: true, ...o }),
};
let webhook: Server;
let webhookUrl: string;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await redis.del(stream);
  redis.disconnect();
  webhook.close();
});

describe('Events', () => {
  it('logs, appends to a bounded stream and calls the webhook', async () => {
    const events = new Events({
      redis,
      logger,
      stream,
      maxLength: 5,
      webhookUrl,
      now: () => new Date('2026-12-01T04:00:00Z'),
    });
    const recorded = await events.record({
      type: 'promoted',
      series: 'ubuntu-24.04',
      version: '20261201',
      imageId: 'img-1',
    });
    expect(recorded.at).toBe('2026-12-01T04:00:00.000Z');
    expect(lines.at(-1)).toMatchObject({
      event: 'promoted',
      series: 'ubuntu-24.04',
      version: '20261201',
      imageId: 'img-1',
    });
    expect(received).toEqual([recorded]);

    for (let i = 0; i < 200; i += 1)
      await events.record({
        type: 'unused',
        series: i % 2 ? 'debian-12' : 'ubuntu-24.04',
        imageId: `img-${i}`,
      });
    expect(await redis.xlen(stream)).toBeLessThan(200);
    const recent = await events.recent(3, 'debian-12');
    expect(recent.map((e) => e.imageId)).toEqual(['img-199', 'img-197', 'img-195']);
  });

  it('never fails the caller when the webhook is down', async () => {
    const events = new Events({ redis, logger, stream, webhookUrl: 'http://127.0.0.1:1/none' });
    await expect(
      events.record({ type: 'reaped', series: 's', imageId: 'x' }),
    ).resolves.toMatchObject({ type: 'reaped' });
    expect(lines.at(-1)).toMatchObject({ warn: true, webhook: 'http://127.0.0.1:1/none' });
  });
});
