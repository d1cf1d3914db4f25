// One lifecycle event as a line for people: when, what, which series and version, which
// image, and why.
import type { LifecycleEvent } from '@imagecycle/events';

export function eventLine(e: LifecycleEvent): string {
  return `${e.at}  ${e.type.padEnd(11)} ${e.series.padEnd(22)} ${(e.version ?? '').padEnd(16)} ${e.imageId ?? ''} ${e.detail ?? ''}`;
}
