// imagecycle status | images | plan | events: what an operator asks at 3 a.m. - "what is
// Latest for each series and did the last check work", "why is this image still here",
// "what would a run do now" and "what happened lately, and why". Tables for people, --json
// (the API's shapes) for scripts.
import { type App, planFor, readSeriesStates } from '@imagecycle/composition';
import {
  imagesOf,
  outlookText,
  type Plan,
  type SeriesImage,
  type SeriesState,
  usageCheckText,
} from '@imagecycle/overview';
import { type Authenticity, authenticity } from '@imagecycle/series-catalogue';
import { eventLine } from '../event-line.ts';
import { EXIT } from '../exit-codes.ts';
import { type Format, type Listing, render, valueLine } from '../output.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);
const writeAll = (lines: readonly string[]) => {
  for (const line of lines) write(line);
};
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '-');
/** A duration for people: `42s`, `3m05s`. */
export const seconds = (s: number): string => {
  const whole = Math.round(s);
  return whole < 60
    ? `${whole}s`
    : `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
};

/** Columns padded to the widest cell, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function nextReap(series: SeriesState): string {
  const dates = series.community.flatMap((c) => (c.reapAfter ? [c.reapAfter] : [])).sort();
  return dates[0] ? day(dates[0]) : '-';
}

/** How a series is named in a line about one of its targets: `<id>`, or `<id> in <target>`. */
const where = (s: { id: string; target: string }, several: boolean) =>
  several ? `${s.id} in ${s.target}` : s.id;

/**
 * `imagecycle status` as a listing: one row per series (per series and target, with a TARGET
 * column after SERIES, when the catalogue names several targets).
 */
export function statusListing(
  states: readonly SeriesState[],
  several: boolean,
  authenticated: (id: string) => Authenticity | undefined,
): Listing {
  const rows = states.map((s) => [
    s.enabled ? s.id : `${s.id} (disabled)`,
    ...(several ? [s.target] : []),
    s.latest?.version ?? (s.unreadable ? '(unreadable)' : s.retired ? '(retired)' : '(none)'),
    s.upstream ? `${s.upstream.version}${s.upstream.overdue ? ' OVERDUE' : ''}` : '-',
    s.lastCheck
      ? `${s.lastCheck.at.slice(0, 16).replace('T', ' ')} ${s.lastCheck.outcome}`
      : 'never',
    s.lastSmokeTest ? `${s.lastSmokeTest.result} ${seconds(s.lastSmokeTest.durationSeconds)}` : '-',
    String(s.community.length),
    nextReap(s),
    s.inFlight.map((i) => `${i.state || '?'}/${i.status}`).join(' ') || '-',
    // last, so the columns scripts read before it stay where they were
    s.lastUsageCheck
      ? `${s.lastUsageCheck.at.slice(0, 16).replace('T', ' ')} ${s.lastUsageCheck.outcome}`
      : 'never',
  ]);
  // a feed check and what a signature vouches for are the series', whatever the targets
  const perSeries = states.filter((s, i) => states.findIndex((o) => o.id === s.id) === i);
  return {
    document: { series: states.map((s) => ({ ...s, authenticated: authenticated(s.id) })) },
    table: () => [
      ...table(
        [
          'SERIES',
          ...(several ? ['TARGET'] : []),
          'LATEST',
          'UPSTREAM',
          'LAST CHECK',
          'SMOKE TEST',
          'COMMUNITY',
          'NEXT REAP',
          'IN FLIGHT',
          'LAST USAGE CHECK',
        ],
        rows,
      ),
      // a target whose Glance could not be read, once
      ...[...new Map(states.filter((s) => s.unreadable).map((s) => [s.target, s.unreadable]))].map(
        ([target, why]) => `target ${target}: unreadable: ${why}`,
      ),
      ...perSeries.flatMap((s) =>
        s.lastCheck?.message ? [`${s.id}: ${s.lastCheck.outcome}: ${s.lastCheck.message}`] : [],
      ),
      ...states.flatMap((s) =>
        s.lastSmokeTest?.result === 'failed'
          ? [
              `${where(s, several)}: smoke test of ${s.lastSmokeTest.version ?? '?'} failed after ${seconds(s.lastSmokeTest.durationSeconds)}${s.lastSmokeTest.message ? `: ${s.lastSmokeTest.message}` : ''}`,
            ]
          : [],
      ),
      // what each series' last usage check found
      ...states.flatMap((s) =>
        s.lastUsageCheck
          ? [`${where(s, several)}: usage: ${usageCheckText(s.lastUsageCheck)}`]
          : [],
      ),
      // what a signature vouches for, per series: the bytes, and the version and URL
      '',
      'What is authenticated, per series:',
      ...table(
        ['SERIES', 'BYTES', 'VERSION+URL', 'BY'],
        perSeries.flatMap((s) => {
          const a = authenticated(s.id);
          return a ? [[s.id, a.bytes, a.version, a.summary]] : [];
        }),
      ),
    ],
    values: () => rows.map(valueLine),
  };
}

export async function statusCommand(
  app: App,
  options: { format: Format; series: readonly string[]; target?: string | undefined },
): Promise<number> {
  const states = await readSeriesStates(app, options.series, options.target);
  const authenticated = (id: string) => {
    const series = app.catalogue.series.find((s) => s.id === id);
    return series ? authenticity(series) : undefined;
  };
  writeAll(render(options.format, statusListing(states, app.targets.length > 1, authenticated)));
  return EXIT.ok;
}

/** `imagecycle images` as a listing (a TARGET column after SERIES when there are several). */
export function imagesListing(images: readonly SeriesImage[], several: boolean): Listing {
  const rows = images.map((i) => [
    i.id,
    i.series,
    ...(several ? [i.target] : []),
    i.version,
    i.state,
    day(i.createdAt),
    i.name,
    'outlook' in i ? outlookText(i) : i.state === 'latest' ? 'Latest' : i.status,
  ]);
  return {
    document: { images },
    table: () =>
      table(
        [
          'ID',
          'SERIES',
          ...(several ? ['TARGET'] : []),
          'VERSION',
          'STATE',
          'UPLOADED',
          'NAME',
          'OUTLOOK',
        ],
        rows,
      ),
    values: () => rows.map(valueLine),
  };
}

export async function imagesCommand(
  app: App,
  options: {
    format: Format;
    series: readonly string[];
    state?: string | undefined;
    target?: string | undefined;
  },
): Promise<number> {
  const images = imagesOf(
    await readSeriesStates(app, options.series, options.target),
    options.state,
  );
  writeAll(render(options.format, imagesListing(images, app.targets.length > 1)));
  return EXIT.ok;
}

export function planLines(plan: Plan): string[] {
  const lines: string[] = [];
  for (const d of plan.downloads)
    lines.push(
      `download  ${d.series} ${d.version}${d.inFlight ? ' (already queued)' : ''}${d.replaces ? `, then Latest; ${d.replaces.name} (${d.replaces.version}) becomes community` : ', then Latest'}`,
    );
  for (const r of plan.rejected)
    lines.push(`reject    ${r.series}${r.version ? ` ${r.version}` : ''}: ${r.message}`);
  for (const u of plan.unchecked) lines.push(`unchecked ${u.series}: ${u.message}`);
  for (const r of plan.renames)
    lines.push(
      `patch     ${r.series} ${r.imageId} "${r.name}": ${r.ops.map((op) => `${op.op} ${op.path}${'value' in op ? `=${JSON.stringify(op.value)}` : ''}`).join(', ')}`,
    );
  for (const u of plan.usage)
    lines.push(`usage     ${u.series} ${u.imageId}: ${u.ops.map((op) => op.path).join(', ')}`);
  for (const r of plan.reaps)
    lines.push(`reap      ${r.series} ${r.imageId} "${r.name}" (${r.version})`);
  for (const r of plan.repairs)
    lines.push(`repair    ${r.series} ${r.imageId} "${r.name}": ${r.action} (${r.because})`);
  for (const reason of plan.scanned.incomplete)
    lines.push(`no reaps  usage scan incomplete: ${reason}`);
  lines.push(
    `plan: ${plan.downloads.length} download(s), ${plan.rejected.length} rejection(s), ${plan.renames.length} image(s) to patch, ${plan.reaps.length} reap(s), ${plan.repairs.length} repair(s); usage from ${plan.scanned.servers} server(s) and ${plan.scanned.volumes} volume(s); nothing was changed`,
  );
  return lines;
}

/**
 * `imagecycle plan` as a listing. With several targets each target's changes are a section
 * under `target <name>:`, its summary line closing it; the document is then { plans }, one
 * Plan per target (the API's /api/plan answers alike). One target: as before targets existed.
 */
export function planListing(plans: readonly Plan[], several: boolean): Listing {
  const [only] = plans;
  if (!several && only && plans.length === 1)
    return {
      document: only,
      table: () => planLines(only),
      // the changes alone, one a line, without the closing summary
      values: () => planLines(only).slice(0, -1),
    };
  return {
    document: plans.length === 1 && only ? only : { plans },
    table: () =>
      plans.flatMap((plan, i) => [
        ...(i > 0 ? [''] : []),
        `target ${plan.target}:`,
        ...planLines(plan).map((line) => `  ${line}`),
      ]),
    // each change with its target first
    values: () =>
      plans.flatMap((plan) =>
        planLines(plan)
          .slice(0, -1)
          .map((line) => `${plan.target} ${line}`),
      ),
  };
}

export async function planCommand(
  app: App,
  options: { format: Format; series: readonly string[]; target?: string | undefined },
): Promise<number> {
  const plans = await planFor(app, options.series, options.target);
  writeAll(render(options.format, planListing(plans, app.targets.length > 1)));
  // a plan that cannot check every series is incomplete: say so in the exit code
  return plans.some((plan) => plan.unchecked.length > 0) ? EXIT.unavailable : EXIT.ok;
}

export async function eventsCommand(
  app: App,
  options: { format: Format; series: readonly string[]; limit: number },
): Promise<number> {
  // newest first: of each named series its latest, then the latest of them all
  const events =
    options.series.length === 0
      ? await app.events.recent(options.limit)
      : (await Promise.all(options.series.map((s) => app.events.recent(options.limit, s))))
          .flat()
          .sort((a, b) => b.at.localeCompare(a.at))
          .slice(0, options.limit);
  // people read the newest last; documents keep the API's order, newest first
  const oldestFirst = [...events].reverse();
  writeAll(
    render(options.format, {
      document: { events },
      table: () => oldestFirst.map(eventLine),
      values: () =>
        oldestFirst.map((e) =>
          valueLine([e.at, e.type, e.series, e.version ?? '', e.imageId ?? '', e.detail ?? '']),
        ),
    }),
  );
  return EXIT.ok;
}
