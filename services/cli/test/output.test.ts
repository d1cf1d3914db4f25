// -f FORMAT of the listing commands, and progress lines cut to the terminal's width.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine } from '../src/command-line.ts';
import { IMAGECYCLE } from '../src/commands/table.ts';
import { CliError, EXIT } from '../src/exit-codes.ts';
import { fitWidth, render } from '../src/output.ts';

const listing = {
  document: { series: [{ id: 'debian-12', latest: { version: '20261101' }, community: [] }] },
  table: () => ['SERIES     LATEST', 'debian-12  20261101'],
  values: () => ['debian-12 20261101'],
};

describe('render', () => {
  it('json and yaml print the same document; value the rows alone; table the table', () => {
    const [json] = render('json', listing);
    expect(JSON.parse(json ?? '')).toEqual(listing.document);
    const yaml = render('yaml', listing);
    expect(yaml).toHaveLength(1);
    expect(yaml[0]).toContain('- id: debian-12');
    expect(parse(yaml[0] ?? '')).toEqual(listing.document);
    expect(render('value', listing)).toEqual(['debian-12 20261101']);
    expect(render('table', listing)).toEqual(['SERIES     LATEST', 'debian-12  20261101']);
  });
});

describe('-f / --format', () => {
  const formatOf = (argv: string[]) => {
    const call = parseCommandLine(IMAGECYCLE, argv);
    if (call.help !== undefined) throw new Error('help');
    return call.options.format;
  };

  it('is taken by status, images, plan and events, short or long; table by default', () => {
    for (const command of ['status', 'images', 'plan', 'events']) {
      expect(formatOf([command])).toBe('table');
      expect(formatOf([command, '-f', 'yaml'])).toBe('yaml');
      expect(formatOf([command, '-f', 'value'])).toBe('value');
      expect(formatOf([command, '--format', 'json'])).toBe('json');
      expect(formatOf(['-f', 'yaml', command])).toBe('yaml');
    }
  });

  it('refuses a format it does not know, naming the ones it does (usage, exit 2)', () => {
    let error: unknown;
    try {
      parseCommandLine(IMAGECYCLE, ['status', '-f', 'xml']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe(EXIT.usage);
    expect((error as CliError).message).toBe(
      '--format: "xml" is not one of table, value, json, yaml',
    );
  });

  it('is not an option of commands that list nothing', () => {
    expect(() => parseCommandLine(IMAGECYCLE, ['worker', 'reaper', '-f', 'json'])).toThrow(
      'worker: unknown option -f; see imagecycle worker --help',
    );
  });
});

describe('fitWidth', () => {
  it('cuts a line longer than the terminal, marking the cut', () => {
    expect(fitWidth('download  debian-12 [#####-----]  50%', 20)).toBe('download  debian-12…');
    expect(fitWidth('download  debian-12 [#####-----]  50%', 20)).toHaveLength(20);
  });
  it('leaves a line that fits, or when the width is unknown', () => {
    expect(fitWidth('short', 20)).toBe('short');
    expect(fitWidth('exactly-ten', 11)).toBe('exactly-ten');
    expect(fitWidth('x'.repeat(300), undefined)).toBe('x'.repeat(300));
  });
});
