// The JSON Schema of imagecycle-build-manifest/1, for build pipelines and editors.
import { z } from 'zod';
import { buildManifestSchema } from './build-manifest.ts';

export function buildManifestJsonSchema(): string {
  const schema = z.toJSONSchema(buildManifestSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'imagecycle build manifest, format 1' }, null, 2)}\n`;
}
