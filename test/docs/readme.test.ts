// The README's example of adding a series is a valid catalogue entry: it is appended to the
// packaged catalogue and validated as an operator would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_PATH, parseCatalogue } from '@imagecycle/series-catalogue';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const vars = {
  CENTOS_KEY_FPR: 'a'.repeat(40),
  CENTOS7_KEY_FPR: 'b'.repeat(40),
  FEDORA_KEY_FPR: 'c'.repeat(40),
  ALMALINUX_KEY_FPR: 'd'.repeat(40),
  ROCKY_KEY_FPR: 'e'.repeat(40),
  WINDOWS_BUILD_KEY_FPR: 'f'.repeat(40),
  SMOKE_TEST_PROJECT: 'imagecycle',
  SMOKE_TEST_FLAVOR: 'm1.large',
};

describe('README: adding a series', () => {
  it('its example entry joins the packaged catalogue and validates', () => {
    const section = readme.slice(readme.indexOf('### Adding a series'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    // the README indents the block inside a list item: back to the catalogue's indentation
    const entry = (block ?? '')
      .split('\n')
      .map((line) => line.replace(/^ {3}/, ''))
      .join('\n');
    const text = `${readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8').trimEnd()}\n\n${entry}`;
    const catalogue = parseCatalogue(text, 'catalogue.yaml', { vars });
    const added = catalogue.series.find((s) => s.id === 'rocky-10');
    expect(added?.title).toBe('Rocky 10');
    expect(added?.properties.os_version).toBe('10');
  });
});
