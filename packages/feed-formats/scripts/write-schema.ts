// Writes schema/build-manifest.schema.json from the zod schema (run after changing it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildManifestJsonSchema } from '../src/build-manifest-schema.ts';

const target = join(import.meta.dirname, '..', 'schema', 'build-manifest.schema.json');
writeFileSync(target, buildManifestJsonSchema());
console.log(`wrote ${target}`);
