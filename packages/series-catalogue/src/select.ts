// Finding series by id, for every caller that names them (a feed check, `run`, `status`, the
// API): an id that is not in the catalogue is an UnknownSeriesError naming it.
import type { Catalogue, Series } from './types.ts';

export class UnknownSeriesError extends Error {
  override name = 'UnknownSeriesError';
}

export function findSeries(catalogue: Pick<Catalogue, 'series'>, id: string): Series | undefined {
  return catalogue.series.find((s) => s.id === id);
}

/** The series named, in catalogue order (every series when none is named). */
export function selectSeries(
  catalogue: Pick<Catalogue, 'series' | 'file'>,
  only: readonly string[] = [],
): Series[] {
  const unknown = only.filter((id) => !catalogue.series.some((s) => s.id === id));
  if (unknown.length > 0)
    throw new UnknownSeriesError(`not in the catalogue ${catalogue.file}: ${unknown.join(', ')}`);
  return only.length > 0
    ? catalogue.series.filter((s) => only.includes(s.id))
    : [...catalogue.series];
}

/** A target the catalogue does not name: the message lists the ones it does. */
export class UnknownTargetError extends Error {
  override name = 'UnknownTargetError';
}

/** The named target's name (every target's, in catalogue order, when none is named). */
export function selectTargets(
  catalogue: Pick<Catalogue, 'targets' | 'file'>,
  name?: string,
): string[] {
  const names = catalogue.targets.map((t) => t.name);
  if (name === undefined) return names;
  if (!names.includes(name))
    throw new UnknownTargetError(
      `target "${name}" is not in the catalogue ${catalogue.file}; its targets: ${names.join(', ')}`,
    );
  return [name];
}
