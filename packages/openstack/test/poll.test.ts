import { describe, expect, it } from 'vitest';
import { WaitError } from '../src/index.ts';
import { markerPages, pollUntil, pollUntilGone } from '../src/poll.ts';

describe('markerPages', () => {
  it('asks with the last id of each page until a page has no next link', async () => {
    const markers: (string | undefined)[] = [];
    const pages = [[{ id: 'a' }, { id: 'b' }], [{ id: 'c' }, { id: 'd' }], [{ id: 'e' }]];
    const items = [];
    for await (const item of markerPages((marker) => {
      markers.push(marker);
      const items = pages[markers.length - 1] ?? [];
      return Promise.resolve({ items, hasNextLink: markers.length < 3 });
    }, 2)) {
      items.push(item.id);
    }
    expect(items).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(markers).toEqual([undefined, 'b', 'd']);
  });

  it('without links, a short page is the last', async () => {
    let calls = 0;
    const ids = [];
    for await (const item of markerPages(
      () =>
        Promise.resolve({
          items: calls++ === 0 ? [{ id: 'x' }, { id: 'y' }] : [{ id: 'z' }],
          hasNextLink: undefined,
        }),
      2,
    )) {
      ids.push(item.id);
    }
    expect(ids).toEqual(['x', 'y', 'z']);
    expect(calls).toBe(2);
  });
});

describe('pollUntil', () => {
  it('returns once a target is reached, and stops at a failure status with its detail', async () => {
    const states = ['queued', 'saving', 'active'];
    let i = 0;
    const value = await pollUntil({
      what: 'image x',
      probe: () => Promise.resolve(states[i++] ?? 'active'),
      status: (s) => s,
      targets: ['active'],
      timeoutMs: 5000,
      initialIntervalMs: 1,
    });
    expect(value).toBe('active');
    await expect(
      pollUntil({
        what: 'server y',
        probe: () => Promise.resolve('ERROR'),
        status: (s) => s,
        targets: ['ACTIVE'],
        failed: (s) => s === 'ERROR',
        detail: () => 'No valid host',
        timeoutMs: 5000,
      }),
    ).rejects.toThrow(
      new WaitError('server y went to ERROR: No valid host while waiting for ACTIVE', 'ERROR'),
    );
  });

  it('gives up at the deadline naming the last status', async () => {
    await expect(
      pollUntil({
        what: 'volume z',
        probe: () => Promise.resolve('creating'),
        status: (s) => s,
        targets: ['available'],
        timeoutMs: 30,
        initialIntervalMs: 10,
      }),
    ).rejects.toThrow('volume z still creating after 0 s waiting for available');
  });

  it("ends its wait between probes when its signal is aborted, with the signal's reason", async () => {
    const cancel = new AbortController();
    let probes = 0;
    const started = Date.now();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 50);
    await expect(
      pollUntil({
        what: 'image w',
        probe: () => Promise.resolve(`saving ${++probes}`),
        status: (s) => s,
        targets: ['active'],
        timeoutMs: 60_000,
        initialIntervalMs: 10_000, // one long wait after the first probe
        signal: cancel.signal,
      }),
    ).rejects.toThrow('drain deadline passed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(probes).toBe(1);

    const gone = new AbortController();
    setTimeout(() => gone.abort(new Error('cancelled too')), 50);
    await expect(
      pollUntilGone('server v', () => Promise.resolve('still there'), 60_000, gone.signal),
    ).rejects.toThrow('cancelled too');
  });
});
