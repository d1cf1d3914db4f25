// JSON Schema of the catalogue as a person writes it (the zod input side), for editors.
import { z } from 'zod';
import { catalogueSchema } from './schema.ts';

export const JSON_SCHEMA_ID = 'https://imagecycle.invalid/schema/catalogue.schema.json';

/** A string holding a `${NAME}` reference: checked only after substitution, at load time. */
const VARIABLE_REFERENCE = { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}' };

const CONSTRAINTS = ['pattern', 'format', 'enum', 'minLength', 'maxLength'] as const;

export function catalogueJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(catalogueSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const js = ctx.jsonSchema as Record<string, unknown>;
      if (js.type !== 'string' || !CONSTRAINTS.some((k) => k in js)) return;
      const constrained: Record<string, unknown> = { type: 'string' };
      for (const k of CONSTRAINTS) {
        if (k in js) {
          constrained[k] = js[k];
          delete js[k];
        }
      }
      delete js.type;
      js.anyOf = [constrained, VARIABLE_REFERENCE];
    },
  }) as Record<string, unknown>;
  return { ...schema, $id: JSON_SCHEMA_ID, title: 'imagecycle series catalogue' };
}

/** The committed file's exact text: 2-space JSON plus a final newline. */
export function catalogueJsonSchemaText(): string {
  return `${JSON.stringify(catalogueJsonSchema(), null, 2)}\n`;
}
