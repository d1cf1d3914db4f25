// One lifecycle event as a line for people: when, what, which series and version, which
// image, in which target (when the deployment names targets), and why.
import { EVENT_TYPES, type LifecycleEvent } from '@imagecycle/events';

/** Every kind of event fits its column, `usage-checked` and `recovered` included. */
const TYPE_WIDTH = Math.max(...EVENT_TYPES.map((t) => t.length));

export function eventLine(e: LifecycleEvent): string {
  return `${e.at}  ${e.type.padEnd(TYPE_WIDTH)} ${e.series.padEnd(22)} ${(e.version ?? '').padEnd(16)} ${e.imageId ?? ''} ${e.target ? `[${e.target}] ` : ''}${e.detail ?? ''}`;
}
