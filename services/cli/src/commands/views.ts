// imagecycle status | events: what an operator asks at 3 a.m. - "what is Latest for each
// series, what is waiting to be reaped" and "what happened lately, and why".
import type { App } from '@imagecycle/app';
import { PROPERTY } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { imageProperty } from '@imagecycle/openstack';
import { eventLine } from '../event-line.ts';
import { EXIT } from '../exit-codes.ts';

export interface SeriesStatus {
  series: string;
  title: string;
  latest?: { id: string; version: string; since: string } | undefined;
  community: {
    id: string;
    name: string;
    version: string;
    lastUsedAt?: string;
    unusedSince?: string;
  }[];
  /** Images between stages: candidates, retiring, not active. */
  inFlight: { id: string; state: string; status: string }[];
}

export async function statusCommand(app: App, options: { json: boolean }): Promise<number> {
  const rows: SeriesStatus[] = [];
  for (const series of app.catalogue.series) {
    const images = await listManagedImages(app.cloud.glance, {
      owner: app.owner,
      series: series.id,
    });
    const state = (id: (typeof images)[number]) => imageProperty(id, PROPERTY.state) ?? '';
    const latest = images.find((i) => state(i) === 'latest' && i.status === 'active');
    rows.push({
      series: series.id,
      title: series.title,
      latest: latest && {
        id: latest.id,
        version: imageProperty(latest, PROPERTY.version) ?? '',
        since: latest.created_at,
      },
      community: images
        .filter((i) => state(i) === 'community')
        .map((i) => ({
          id: i.id,
          name: i.name ?? '',
          version: imageProperty(i, PROPERTY.version) ?? '',
          ...(imageProperty(i, PROPERTY.lastUsedAt)
            ? { lastUsedAt: imageProperty(i, PROPERTY.lastUsedAt) }
            : {}),
          ...(imageProperty(i, PROPERTY.unusedSince)
            ? { unusedSince: imageProperty(i, PROPERTY.unusedSince) }
            : {}),
        })),
      inFlight: images
        .filter((i) => !['latest', 'community'].includes(state(i)) || i.status !== 'active')
        .map((i) => ({ id: i.id, state: state(i), status: i.status })),
    });
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ series: rows })}\n`);
    return EXIT.ok;
  }
  process.stdout.write(
    `${'SERIES'.padEnd(24)}${'LATEST VERSION'.padEnd(18)}${'COMMUNITY'.padEnd(11)}IN FLIGHT\n`,
  );
  for (const row of rows)
    process.stdout.write(
      `${row.series.padEnd(24)}${(row.latest?.version ?? '(none)').padEnd(18)}${String(row.community.length).padEnd(11)}${row.inFlight.map((i) => `${i.state}/${i.status}`).join(' ')}\n`,
    );
  return EXIT.ok;
}

export async function eventsCommand(
  app: App,
  options: { json: boolean; series?: string | undefined; limit: number },
): Promise<number> {
  const events = await app.events.recent(options.limit, options.series);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ events })}\n`);
    return EXIT.ok;
  }
  for (const e of events.reverse()) process.stdout.write(`${eventLine(e)}\n`);
  return EXIT.ok;
}
