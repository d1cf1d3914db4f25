// `${NAME}` / `${NAME:-default}` substitution inside string values of the catalogue.
//
//   ${NAME}            the variable's value; an error when it is undefined
//   ${NAME:-default}   the variable's value, or `default` when it is undefined or empty
//   $${                a literal `${`
//
// NAME is [A-Za-z_][A-Za-z0-9_]*; a default runs to the first `}` (it cannot contain one).

export type Vars = Readonly<Record<string, string | undefined>>;

export interface Substitution {
  readonly value: string;
  /** one message per problem (undefined variable, malformed reference) */
  readonly errors: readonly string[];
  /** names of the variables referenced */
  readonly names: readonly string[];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substituteVars(input: string, vars: Vars): Substitution {
  if (!input.includes('${')) return { value: input, errors: [], names: [] };
  const errors: string[] = [];
  const names: string[] = [];
  const value = input.replace(REFERENCE, (match: string, body: string | undefined) => {
    if (match === '$${') return '${';
    if (body === undefined) {
      errors.push('unterminated variable reference "${" (missing "}"; write "$${" for a literal)');
      return match;
    }
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      errors.push(`invalid variable reference "${match}": names are [A-Za-z_][A-Za-z0-9_]*`);
      return match;
    }
    names.push(name);
    const set = vars[name];
    if (sep !== -1) return set === undefined || set === '' ? body.slice(sep + 2) : set;
    if (set === undefined) {
      errors.push(`undefined variable \${${name}} (set it, or give a default: \${${name}:-...})`);
      return '';
    }
    return set;
  });
  return { value, errors, names };
}
