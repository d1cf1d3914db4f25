// The scan's judgment on what Nova answers in the shapes only a broken cloud produces (a cell
// that does not answer; an old compute API), which the local cloud cannot be made to show
// without taking its cells down. The listings are fed in Nova's documented shapes: from
// microversion 2.69 a server of a down cell is a partial record (id, status UNKNOWN,
// tenant_id, created, links) without image or name. Real Nova and Cinder behaviour is
// covered by usage-scan.int.test.ts.
import { describe, expect, it } from 'vitest';
import type { CinderClient, NovaClient, Server, Volume } from '@imagecycle/openstack';
import { mergeUsageScans, scanUsage } from '../src/index.ts';

async function* each<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

function nova(maximum: string, live: Server[]): NovaClient {
  return {
    maximumMicroversion: () => Promise.resolve(maximum),
    listsDownCells: () => Promise.resolve(Number(maximum.split('.')[1]) >= 69),
    listServers: (options: { deleted?: boolean } = {}) => each(options.deleted ? [] : live),
  } as unknown as NovaClient;
}

const cinder = {
  caller: () => Promise.resolve({ projectId: 'p-admin', roles: ['admin', 'member'] }),
  listVolumes: () => each<Volume>([]),
} as unknown as CinderClient;

const server = (id: string, image: string): Server => ({
  id,
  name: id,
  status: 'ACTIVE',
  tenant_id: 't1',
  image: { id: image },
  created: '2026-12-01T00:00:00Z',
});

describe('a cell that does not answer', () => {
  it('a partial record (status UNKNOWN, no image) makes the scan incomplete, naming it', async () => {
    const partial = {
      id: 'down-1',
      status: 'UNKNOWN',
      tenant_id: 't9',
      created: '2026-12-01T00:00:00Z',
    };
    const scan = await scanUsage(nova('2.93', [server('s1', 'img-a'), partial]), cinder);
    expect(scan.usedBy.get('img-a')).toEqual(['server s1 (ACTIVE)']);
    expect(scan.incomplete).toHaveLength(1);
    expect(scan.incomplete[0]).toMatch(
      /1 server\(s\) in a cell that does not answer .*down-1 of project t9/,
    );
  });

  it('a compute API older than 2.69 cannot show down cells: incomplete', async () => {
    const scan = await scanUsage(nova('2.60', [server('s1', 'img-a')]), cinder);
    expect(scan.incomplete).toEqual([
      'compute API offers microversion 2.60 (< 2.69): servers in a cell that does not answer would be left out unseen',
    ]);
  });

  it('every cell answering on a 2.69+ cloud: complete', async () => {
    const scan = await scanUsage(nova('2.69', [server('s1', 'img-a')]), cinder);
    expect(scan.incomplete).toEqual([]);
  });
});

describe('mergeUsageScans: one Glance used by several compute regions', () => {
  const scan = (usedBy: [string, string[]][], incomplete: string[] = []) => ({
    usedBy: new Map(usedBy),
    servers: usedBy.length,
    softDeleted: 0,
    volumes: 1,
    incomplete,
  });

  it('keeps an image in use when only the other region uses it, naming the region', () => {
    const merged = mergeUsageScans([
      { region: 'RegionOne', scan: scan([['img-a', ['server s1 (ACTIVE)']]]) },
      { region: 'RegionTwo', scan: scan([['img-b', ['server s2 (ACTIVE)']]]) },
    ]);
    expect(merged.usedBy.get('img-b')).toEqual(['server s2 (ACTIVE) in RegionTwo']);
    expect(merged.usedBy.get('img-a')).toEqual(['server s1 (ACTIVE) in RegionOne']);
    expect([merged.servers, merged.volumes]).toEqual([2, 2]);
  });

  it('joins the users of one image across regions and any region’s doubt', () => {
    const merged = mergeUsageScans([
      { region: 'RegionOne', scan: scan([['img-a', ['volume v1 (in-use)']]]) },
      { region: 'RegionTwo', scan: scan([['img-a', ['server s2 (SHUTOFF)']]], ['cell down']) },
    ]);
    expect(merged.usedBy.get('img-a')).toEqual([
      'volume v1 (in-use) in RegionOne',
      'server s2 (SHUTOFF) in RegionTwo',
    ]);
    expect(merged.incomplete).toEqual(['RegionTwo: cell down']);
  });

  it('leaves a single region’s scan as it was', () => {
    const merged = mergeUsageScans([
      { region: 'RegionOne', scan: scan([['img-a', ['server s1 (ACTIVE)']]], ['x']) },
    ]);
    expect(merged.usedBy.get('img-a')).toEqual(['server s1 (ACTIVE)']);
    expect(merged.incomplete).toEqual(['x']);
  });
});
