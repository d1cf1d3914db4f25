// imagecycle validate [path]: checks a catalogue, with ${VARS} from the environment, and the
// keyrings of its enabled series (each exists, parses, holds the pinned fingerprints).
// Exit codes: 0 valid, 1 invalid, 2 unreadable (missing file, permissions, not UTF-8 text...).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CatalogueError, formatIssue } from '../errors.ts';
import { checkKeyrings } from '../keyrings.ts';
import { parseCatalogue } from '../parse.ts';
import { DEFAULT_CATALOGUE_PATH } from '../paths.ts';
import { seriesStatus } from '../status.ts';

export async function validateCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: (line: string) => void = (l) => console.log(l),
  err: (line: string) => void = (l) => console.error(l),
  now: Date = new Date(),
): Promise<number> {
  // --json: one JSON object on stdout, for scripts ({ ok, file, series, endOfLife } or
  // { ok: false, file, problems })
  const json = args.includes('--json');
  const file = args.filter((a) => a !== '--json')[0] ?? DEFAULT_CATALOGUE_PATH;
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (e) {
    err(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  try {
    const catalogue = parseCatalogue(text, file, { vars: env });
    // the keyrings of the enabled series exist, parse and hold their pinned fingerprints
    const keyringIssues = await checkKeyrings(catalogue, text, file);
    if (keyringIssues.length > 0) throw new CatalogueError(file, keyringIssues);
    const eol = catalogue.series.filter((s) => seriesStatus(s, now) === 'end-of-life');
    if (json)
      out(
        JSON.stringify({
          ok: true,
          file,
          series: catalogue.series.map((s) => s.id),
          endOfLife: eol.map((s) => s.id),
        }),
      );
    else out(`ok: ${catalogue.series.length} series (${eol.length} past end of life)`);
    return 0;
  } catch (e) {
    if (e instanceof CatalogueError) {
      if (json) out(JSON.stringify({ ok: false, file, problems: e.issues.map(formatIssue) }));
      else err(e.message);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  process.exitCode = await validateCommand(process.argv.slice(2), process.env);
}
