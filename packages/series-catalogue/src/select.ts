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
