// The status page: every series as one timeline of its images, oldest upload on the left -
// reaped ones (from the event stream), community ones with their reap outlook, and Latest -
// with what upstream offers and how the last check ended. Server-rendered, no script; it
// refreshes itself every minute. With several targets each target's series are under its own
// heading.
import {
  type ImageView,
  outlookText,
  type ReapedView,
  type SeriesState,
  usageCheckText,
} from '@imagecycle/overview';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');
const short = (id: string) => id.slice(0, 8);

function imageItem(image: ImageView, state: 'latest' | 'community', note: string): string {
  return `<li data-state="${state}" data-image="${escape(image.id)}" title="${escape(image.id)}">
  <strong>${escape(image.version || '?')}</strong>
  <span class="name">${escape(image.name)}</span>
  <span class="meta">uploaded ${day(image.createdAt)} · ${escape(short(image.id))}${image.protected ? ' · protected' : ''}</span>
  ${note ? `<span class="note">${note}</span>` : ''}
</li>`;
}

function reapedItem(reaped: ReapedView): string {
  return `<li data-state="reaped" data-image="${escape(reaped.imageId)}" title="${escape(reaped.imageId)}">
  <strong>${escape(reaped.version ?? '?')}</strong>
  <span class="name">${escape(reaped.name ?? short(reaped.imageId))}</span>
  <span class="meta">reaped ${day(reaped.at)}</span>
</li>`;
}

function checkLine(series: SeriesState): string {
  const check = series.lastCheck;
  if (!check) return '<span class="check none">never checked</span>';
  const bad = check.outcome === 'rejected' || check.outcome === 'failed';
  return `<span class="check ${bad ? 'bad' : 'ok'}">checked ${escape(check.at.slice(0, 16).replace('T', ' '))} UTC: ${escape(check.outcome)}${check.message ? ` - ${escape(check.message)}` : ''}</span>`;
}

function usageLine(series: SeriesState): string {
  const check = series.lastUsageCheck;
  if (!check) return '<span class="usage none">usage never checked</span>';
  return `<span class="usage ${check.outcome === 'failed' ? 'bad' : 'ok'}">usage checked ${escape(check.at.slice(0, 16).replace('T', ' '))} UTC: ${escape(usageCheckText(check))}</span>`;
}

function upstreamLine(series: SeriesState): string {
  const up = series.upstream;
  if (!up) return '';
  const age = up.ageDays !== undefined ? `, built ${up.ageDays} days ago` : '';
  const expected = series.replaceFrequency ? ` (expected ${escape(series.replaceFrequency)})` : '';
  return `<span class="upstream${up.overdue ? ' bad' : ''}">upstream ${escape(up.version)}${age}${expected}${up.overdue ? ' - overdue' : ''}</span>`;
}

function seriesSection(series: SeriesState, several: boolean): string {
  const timeline = [
    ...series.reaped.slice().reverse().map(reapedItem),
    ...series.community
      .slice()
      .reverse()
      .map((image) => imageItem(image, 'community', escape(outlookText(image)))),
    ...(series.latest ? [imageItem(series.latest, 'latest', 'Latest')] : []),
  ];
  const inFlight = series.inFlight.map(
    (image) =>
      `<div class="in-flight">${escape(image.version)}: ${escape(image.state || 'unknown')} / ${escape(image.status)} (${escape(short(image.id))})</div>`,
  );
  const h = several ? 'h3' : 'h2';
  return `<section data-series="${escape(series.id)}"${several ? ` data-target="${escape(series.target)}"` : ''}>
<${h}>${escape(series.title)} <small>${escape(series.id)}${several ? ` · in ${escape(series.target)}` : ''}${series.retired ? ' · retired' : ''}${series.enabled ? '' : ' · disabled'}</small></${h}>
<p>${checkLine(series)} ${upstreamLine(series)} ${usageLine(series)}</p>
${series.unreadable ? `<p class="problem">this target's Glance could not be read: ${escape(series.unreadable)}</p>` : timeline.length ? `<ol class="timeline">${timeline.join('\n')}</ol>` : '<p class="empty">no image yet</p>'}
${inFlight.join('\n')}
</section>`;
}

/** The page of these states: each series in each target (target by target, as read). */
export function renderStatusPage(series: readonly SeriesState[], now: Date): string {
  const targets = [...new Set(series.map((s) => s.target))];
  const several = targets.length > 1;
  const ids = new Set(series.map((s) => s.id));
  const latest = series.filter((s) => s.latest).length;
  const community = series.reduce((n, s) => n + s.community.length, 0);
  // a feed check and the upstream are the series', whatever the targets: counted once
  const problems = new Set(
    series
      .filter(
        (s) =>
          s.lastCheck?.outcome === 'rejected' ||
          s.lastCheck?.outcome === 'failed' ||
          s.upstream?.overdue,
      )
      .map((s) => s.id),
  ).size;
  const sections = several
    ? targets
        .map(
          (target) => `<div class="target" data-target="${escape(target)}">
<h2 class="target">Target ${escape(target)}</h2>
${series
  .filter((s) => s.target === target)
  .map((s) => seriesSection(s, true))
  .join('\n')}
</div>`,
        )
        .join('\n')
    : series.map((s) => seriesSection(s, false)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="60">
<title>imagecycle status</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{margin:0 0 .3rem}h2,h3{font-size:1.05rem;margin:1.2rem 0 .2rem}h2.target{font-size:1.25rem;border-bottom:1px solid #ccc}small{color:#777;font-weight:normal}
.summary{color:#555}.timeline{display:flex;gap:.5rem;list-style:none;padding:0;margin:.3rem 0;overflow-x:auto}
.timeline li{border:1px solid #ccc;border-radius:6px;padding:.4rem .6rem;min-width:11rem;display:flex;flex-direction:column;gap:.1rem}
li[data-state=latest]{border-color:#2a7;background:#eafaf1}li[data-state=community]{border-color:#58c;background:#eef4fc}
li[data-state=reaped]{color:#888;background:#f4f4f4;text-decoration:line-through}
.name{font-size:.85rem}.meta,.note{font-size:.78rem;color:#666}.bad{color:#b22}.ok{color:#276}.in-flight{color:#a60;font-size:.85rem}
.check,.upstream,.usage{margin-right:1rem}
</style>
</head>
<body>
<h1>imagecycle status</h1>
<p class="summary">${ids.size} series${several ? ` in ${targets.length} targets` : ''} · ${latest}${several ? ` of ${series.length}` : ''} with a Latest · ${community} community images · ${problems} needing attention · ${escape(now.toISOString().slice(0, 16).replace('T', ' '))} UTC · <a href="/queues">queues</a> · <a href="/api/series">JSON</a></p>
${sections}
</body>
</html>
`;
}
