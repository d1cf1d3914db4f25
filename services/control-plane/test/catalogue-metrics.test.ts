// The catalogue gauges from a read model: cached between scrapes, and a failed read leaves
// them out without failing the scrape.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SeriesState } from '@imagecycle/overview';
import { registerCatalogueMetrics } from '../src/catalogue-metrics.ts';
import { soleReplica, type MetricsLease } from '../src/metrics-lease.ts';

const state = {
  id: 'debian-12',
  target: 'default',
  title: 'Debian 12',
  retired: false,
  replaceFrequency: 'weekly',
  upstream: { version: '2', ageDays: 3, overdue: false },
  lastCheck: { series: 'debian-12', at: '2026-11-29T04:00:00.000Z', outcome: 'nothing-new' },
  latest: { id: 'l', size: 100 },
  community: [{ id: 'c', size: 50 }],
  inFlight: [],
  reaped: [],
} as unknown as SeriesState;

describe('catalogue metrics', () => {
  it('reads the states once per ttl, and a failed read leaves the gauges out, not the scrape', async () => {
    const registry = new Registry();
    let reads = 0;
    let failing = false;
    registerCatalogueMetrics(
      registry,
      () => {
        reads += 1;
        return failing ? Promise.reject(new Error('glance down')) : Promise.resolve([state]);
      },
      soleReplica,
      { ttlMs: 60_000 },
    );
    const first = await registry.metrics();
    expect(first).toContain(
      'imagecycle_images{series="debian-12",target="default",state="community"} 1',
    );
    expect(first).toContain('imagecycle_image_bytes{series="debian-12",target="default"} 150');
    expect(first).toContain(
      `imagecycle_last_check_timestamp_seconds{series="debian-12",outcome="nothing-new"} ${Date.parse('2026-11-29T04:00:00.000Z') / 1000}`,
    );
    expect(first).toContain('imagecycle_catalogue_read_error 0');
    expect(first).toContain('imagecycle_series_retired{series="debian-12"} 0');
    await registry.metrics();
    expect(reads).toBe(1);

    const failingRegistry = new Registry();
    failing = true;
    registerCatalogueMetrics(
      failingRegistry,
      () => Promise.reject(new Error('glance down')),
      soleReplica,
    );
    const text = await failingRegistry.metrics();
    expect(text).toContain('imagecycle_catalogue_read_error 1');
    expect(text).not.toContain('imagecycle_images{');
  });

  it('a replica without the metrics lease exports none of the catalogue gauges, and reads nothing', async () => {
    const registry = new Registry();
    let reads = 0;
    let leader = false;
    const lease: MetricsLease = { held: () => Promise.resolve(leader) };
    registerCatalogueMetrics(
      registry,
      () => {
        reads += 1;
        return Promise.resolve([state]);
      },
      lease,
      { ttlMs: 0 },
    );
    const follower = await registry.metrics();
    expect(follower).not.toContain('imagecycle_images{');
    expect(follower).not.toContain('imagecycle_image_bytes{');
    expect(follower).not.toContain('imagecycle_last_check_timestamp_seconds{');
    expect(follower).not.toContain('imagecycle_upstream_overdue{');
    expect(follower).not.toContain('imagecycle_series_retired{');
    // 0 on the followers: a sum over the replicas is the leader's value
    expect(follower).toContain('imagecycle_catalogue_read_error 0');
    expect(reads).toBe(0);
    leader = true;
    expect(await registry.metrics()).toContain(
      'imagecycle_images{series="debian-12",target="default",state="latest"} 1',
    );
  });

  it('imagecycle_targets_disagree: 1 for a series whose targets disagree too long, 0 within the allowance, absent without targets', async () => {
    const registry = new Registry();
    let disagreements = [
      { series: 'debian-12', overdue: true },
      { series: 'ubuntu-24.04', overdue: false },
    ];
    registerCatalogueMetrics(registry, () => Promise.resolve([state]), soleReplica, {
      disagreements: () => Promise.resolve(disagreements),
    });
    const text = await registry.metrics();
    expect(text).toContain('imagecycle_targets_disagree{series="debian-12"} 1');
    expect(text).toContain('imagecycle_targets_disagree{series="ubuntu-24.04"} 0');
    disagreements = [];
    expect(await registry.metrics()).not.toContain('imagecycle_targets_disagree{');
  });

  it('what Glance holds per series and target; what upstream offers and the last check once per series', async () => {
    const registry = new Registry();
    // the second target has no Latest yet, and only its own community image
    const two = {
      ...state,
      target: 'region-two',
      latest: undefined,
      community: [{ id: 'c2', size: 70 }],
    } as unknown as SeriesState;
    registerCatalogueMetrics(
      registry,
      () => Promise.resolve([{ ...state, target: 'region-one' }, two]),
      soleReplica,
    );
    const text = await registry.metrics();
    const lines = (name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`));
    expect(lines('imagecycle_images')).toEqual([
      'imagecycle_images{series="debian-12",target="region-one",state="latest"} 1',
      'imagecycle_images{series="debian-12",target="region-one",state="community"} 1',
      'imagecycle_images{series="debian-12",target="region-one",state="in-flight"} 0',
      'imagecycle_images{series="debian-12",target="region-two",state="latest"} 0',
      'imagecycle_images{series="debian-12",target="region-two",state="community"} 1',
      'imagecycle_images{series="debian-12",target="region-two",state="in-flight"} 0',
    ]);
    expect(lines('imagecycle_image_bytes')).toEqual([
      'imagecycle_image_bytes{series="debian-12",target="region-one"} 150',
      'imagecycle_image_bytes{series="debian-12",target="region-two"} 70',
    ]);
    for (const name of [
      'imagecycle_series_retired',
      'imagecycle_last_check_timestamp_seconds',
      'imagecycle_upstream_age_days',
      'imagecycle_upstream_overdue',
    ])
      expect(lines(name), name).toEqual([expect.not.stringContaining('target=')]);
  });

  it('one of several targets unreadable: its per-target gauges are absent, the others there, read_error 1', async () => {
    const registry = new Registry();
    const down = { ...state, target: 'region-two', unreadable: 'ECONNREFUSED', latest: undefined };
    registerCatalogueMetrics(
      registry,
      () => Promise.resolve([{ ...state, target: 'region-one' }, down as SeriesState]),
      soleReplica,
    );
    const text = await registry.metrics();
    expect(text).toContain(
      'imagecycle_images{series="debian-12",target="region-one",state="latest"} 1',
    );
    expect(text).not.toContain('target="region-two"');
    expect(text).toContain('imagecycle_catalogue_read_error 1');
  });
});
