// Writes schema/catalogue.schema.json from the zod schema: node packages/series-catalogue/scripts/write-schema.ts
import { writeFile } from 'node:fs/promises';
import { catalogueJsonSchemaText } from '../src/json-schema.ts';
import { JSON_SCHEMA_PATH } from '../src/paths.ts';

await writeFile(JSON_SCHEMA_PATH, catalogueJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
