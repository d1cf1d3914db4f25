// `imagecycle events --series a,b`: the latest events of the named series together, newest
// first, no more than --limit. The event stream is a fake with the real one's contract:
// recent(count, series?) answers newest first, at most count, of that series when named.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from '@imagecycle/composition';
import type { LifecycleEvent } from '@imagecycle/events';
import { eventsCommand } from '../src/commands/views.ts';

const at = (minute: number) => `2026-11-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
const stream: LifecycleEvent[] = [
  { type: 'discovered', series: 'debian-12', version: '1', at: at(1) },
  { type: 'discovered', series: 'ubuntu-24.04', version: '2', at: at(2) },
  { type: 'downloaded', series: 'debian-12', version: '1', at: at(3) },
  { type: 'discovered', series: 'fedora-42', version: '3', at: at(4) },
  { type: 'downloaded', series: 'ubuntu-24.04', version: '2', at: at(5) },
  { type: 'uploaded', series: 'debian-12', version: '1', at: at(6) },
];
const app = {
  events: {
    recent: (count: number, series?: string) =>
      Promise.resolve(
        stream
          .filter((e) => !series || e.series === series)
          .reverse()
          .slice(0, count),
      ),
  },
} as unknown as App;

async function eventsJson(series: string[], limit: number): Promise<LifecycleEvent[]> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  expect(await eventsCommand(app, { json: true, series, limit })).toBe(0);
  return (JSON.parse(out) as { events: LifecycleEvent[] }).events;
}

afterEach(() => vi.restoreAllMocks());

describe('imagecycle events', () => {
  it('of several series: their latest events together, newest first, at most --limit', async () => {
    const events = await eventsJson(['debian-12', 'ubuntu-24.04'], 4);
    expect(events.map((e) => `${e.series} ${e.type}`)).toEqual([
      'debian-12 uploaded',
      'ubuntu-24.04 downloaded',
      'debian-12 downloaded',
      'ubuntu-24.04 discovered',
    ]);
  });

  it('of one series, or of all', async () => {
    expect((await eventsJson(['ubuntu-24.04'], 50)).map((e) => e.at)).toEqual([at(5), at(2)]);
    expect((await eventsJson([], 2)).map((e) => e.series)).toEqual(['debian-12', 'ubuntu-24.04']);
  });
});
