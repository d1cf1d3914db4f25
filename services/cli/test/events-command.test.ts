// `imagecycle events --series a,b`: the latest events of the named series together, newest
// first, no more than --limit. The event stream is a fake with the real one's contract:
// recent(count, series?) answers newest first, at most count, of that series when named.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { App } from '@imagecycle/composition';
import type { LifecycleEvent } from '@imagecycle/events';
import { parse } from 'yaml';
import { eventsCommand } from '../src/commands/views.ts';
import { eventLine } from '../src/event-line.ts';
import type { Format } from '../src/output.ts';

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

async function eventsOut(format: Format, series: string[], limit: number): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  expect(await eventsCommand(app, { format, series, limit })).toBe(0);
  spy.mockRestore();
  return out;
}

async function eventsJson(series: string[], limit: number): Promise<LifecycleEvent[]> {
  return (JSON.parse(await eventsOut('json', series, limit)) as { events: LifecycleEvent[] })
    .events;
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

  it('-f yaml is the JSON document; -f value one line per event, oldest first, no header', async () => {
    const json = await eventsOut('json', ['debian-12'], 2);
    expect(parse(await eventsOut('yaml', ['debian-12'], 2))).toEqual(JSON.parse(json));
    expect(await eventsOut('value', ['debian-12'], 2)).toBe(
      `${at(3)} downloaded debian-12 1  \n${at(6)} uploaded debian-12 1  \n`,
    );
    const table = (await eventsOut('table', ['debian-12'], 2)).split('\n');
    expect(table[0]).toMatch(new RegExp(`^${at(3)}  downloaded +debian-12 +1`));
    expect(table[1]).toMatch(new RegExp(`^${at(6)}  uploaded +debian-12 +1`));
  });

  it('shows a usage check and a recovery like any event, the series in the same column', () => {
    const lines = [
      { type: 'uploaded', series: 'debian-12', version: '1', at: at(6) },
      {
        type: 'usage-checked',
        series: 'debian-12',
        detail: '2 community image(s), 1 in use, 0 newly unused, 1 handed to the reaper, 0 kept',
        at: at(7),
      },
      {
        type: 'recovered',
        series: 'debian-12',
        version: '1',
        imageId: 'img-1',
        detail:
          'upload: leftover candidate of an earlier attempt (queued) deleted; uploading again',
        at: at(8),
      },
    ].map((e) => eventLine(e as LifecycleEvent));
    expect(lines[1]).toBe(
      `${at(7)}  usage-checked    debian-12${' '.repeat(13)} ${' '.repeat(16)}  2 community image(s), 1 in use, 0 newly unused, 1 handed to the reaper, 0 kept`,
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${at(8)}  recovered +debian-12 +1 +img-1 upload: leftover candidate`),
    );
    // the series starts in the same column, whatever the event's kind
    expect(new Set(lines.map((l) => l.indexOf('debian-12'))).size).toBe(1);
  });

  it('names the target an event happened in, and the longest kind fits its column', () => {
    const lines = [
      { type: 'targets-disagree', series: 'debian-12', detail: 'region-two behind', at: at(1) },
      { type: 'reaped', series: 'debian-12', imageId: 'img-1', target: 'region-two', at: at(2) },
    ].map((e) => eventLine(e as LifecycleEvent));
    expect(lines[1]).toMatch(new RegExp(`^${at(2)}  reaped +debian-12 +img-1 \\[region-two\\] $`));
    expect(lines[0]).toMatch(new RegExp(`^${at(1)}  targets-disagree debian-12 `));
    expect(lines[0]).not.toContain('[');
  });
});
