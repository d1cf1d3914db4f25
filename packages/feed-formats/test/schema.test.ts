import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifestJsonSchema } from '../src/build-manifest-schema.ts';

describe('build manifest JSON Schema', () => {
  it('is committed as the script writes it (run scripts/write-schema.ts after a change)', () => {
    const committed = readFileSync(
      join(import.meta.dirname, '..', 'schema', 'build-manifest.schema.json'),
      'utf8',
    );
    expect(committed).toBe(buildManifestJsonSchema());
    const parsed = JSON.parse(committed) as { required?: string[] };
    expect(parsed.required).toEqual(['format', 'builds']);
  });
});
