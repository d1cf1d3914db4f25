// The command line as data. Each command declares once its arguments, its options, whether it
// needs the App and for how long, and what it runs; the parser, the help texts and main.ts's
// dispatch are all derived from that declaration (the table is commands/table.ts).
import { parseArgs } from 'node:util';
import type { App } from '@imagecycle/composition';
import { CliError, EXIT } from './exit-codes.ts';

/** --json: present or not. */
export interface Flag {
  kind: 'flag';
  help: string;
}
/** --series ID: repeatable, and `ID,ID` counts as two; the values in order, each once. */
export interface List {
  kind: 'list';
  value: string;
  help: string;
}
/** --timeout SECONDS: one value (the last one given), turned into T by parse, which refuses nonsense. */
export interface Value<T> {
  kind: 'value';
  value: string;
  help: string;
  /** A one-letter alias: `-f json` for `--format json`. */
  short?: string;
  /** What the option is when not given, written as a user would write it (and parsed likewise). */
  default?: string;
  parse: (raw: string, option: string) => T;
}
export type OptionSpec = Flag | List | Value<unknown>;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S> = S extends Flag
  ? boolean
  : S extends List
    ? string[]
    : S extends Value<infer T>
      ? S extends { default: string }
        ? T
        : T | undefined
      : never;
export type Values<O extends OptionSpecs> = { -readonly [K in keyof O]: ValueOf<O[K]> };

/** The words after the command that are not options. */
export interface Positionals<P> {
  /** As in the synopsis: `[FILE]`, `NAME...`. */
  synopsis: string;
  help: string;
  parse: (args: readonly string[]) => P;
}

/**
 * What a command needs: nothing (validate), or the App - either stopped once the command
 * returns (one-shot: status, run...) or run until a signal (long-running: worker, all...).
 */
export type Lifetime = 'no-app' | 'one-shot' | 'long-running';

export interface Input<O extends OptionSpecs, P> {
  options: Values<O>;
  args: P;
}

interface Declared<O extends OptionSpecs, P> {
  name: string;
  /** One line: what the command does. */
  summary: string;
  positionals?: Positionals<P>;
  options: O;
}

export type CommandSpec<O extends OptionSpecs, P> = Declared<O, P> &
  (
    | { lifetime: 'no-app'; run: (input: Input<O, P>) => Promise<number> }
    | {
        lifetime: 'one-shot' | 'long-running';
        run: (input: Input<O, P>, app: App) => Promise<number>;
      }
  );

/** A command's arguments, checked: ready to run, with or without the App. */
export type Ready =
  | { needs: 'nothing'; run: () => Promise<number> }
  | { needs: 'app'; stopAfterwards: boolean; run: (app: App) => Promise<number> };

/** A command of the table, its option and argument types checked by defineCommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly lifetime: Lifetime;
  readonly positionals: Omit<Positionals<unknown>, 'parse'> | undefined;
  readonly options: OptionSpecs;
  /**
   * The command's own words (after the command's name): its help, or what it will run with
   * the options and arguments as parsed. Throws a CliError (usage) for anything it does not take.
   */
  prepare(
    words: readonly string[],
  ): { help: true } | ({ help: false; options: Record<string, unknown>; args: unknown } & Ready);
}

function refuseArguments(name: string) {
  return (args: readonly string[]): undefined => {
    if (args.length > 0)
      throw new CliError(
        EXIT.usage,
        `${name}: unexpected argument "${args[0]}"; see imagecycle ${name} --help`,
      );
    return undefined;
  };
}

export function defineCommand<const O extends OptionSpecs, P = undefined>(
  spec: CommandSpec<O, P>,
): Command {
  const { name, options } = spec;
  // no positionals declared: P is its default, undefined, which is what refuseArguments returns
  const parsePositionals =
    spec.positionals?.parse ?? (refuseArguments(name) as (args: readonly string[]) => P);
  const refuse = (problem: string) =>
    new CliError(EXIT.usage, `${name}: ${problem}; see imagecycle ${name} --help`);

  return {
    name,
    summary: spec.summary,
    lifetime: spec.lifetime,
    positionals: spec.positionals,
    options,
    prepare(words) {
      const { tokens } = parseArgs({
        args: [...words],
        options: { ...parseArgsOptions(options), help: { type: 'boolean', short: 'h' } },
        strict: false,
        allowPositionals: true,
        tokens: true,
      });
      if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true };

      const positionals: string[] = [];
      const raw = new Map<string, string>();
      const lists = new Map<string, string[]>();
      for (const token of tokens) {
        if (token.kind === 'positional') positionals.push(token.value);
        if (token.kind !== 'option') continue;
        const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
        if (!option) throw refuse(`unknown option ${token.rawName}`);
        if (option.kind === 'flag') {
          if (token.value !== undefined) throw refuse(`${token.rawName} takes no value`);
          raw.set(token.name, '');
          continue;
        }
        // `--series --json`: the next word is another option, not the series' name
        if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
          throw refuse(`${token.rawName} needs a value (${option.value})`);
        if (option.kind === 'value') raw.set(token.name, token.value);
        else
          lists.set(token.name, [
            ...(lists.get(token.name) ?? []),
            ...token.value
              .split(',')
              .map((v) => v.trim())
              .filter((v) => v !== ''),
          ]);
      }

      const values: Record<string, unknown> = {};
      for (const [key, option] of Object.entries(options)) {
        if (option.kind === 'flag') values[key] = raw.has(key);
        else if (option.kind === 'list') values[key] = [...new Set(lists.get(key) ?? [])];
        else {
          const given = raw.get(key) ?? option.default;
          values[key] = given === undefined ? undefined : option.parse(given, `--${key}`);
        }
      }
      const args = parsePositionals(positionals);
      // values holds, for each key of O, what ValueOf<O[key]> describes: built from the same specs
      const input = { options: values as Values<O>, args };
      const ready: Ready =
        spec.lifetime === 'no-app'
          ? { needs: 'nothing', run: () => spec.run(input) }
          : {
              needs: 'app',
              stopAfterwards: spec.lifetime === 'one-shot',
              run: (app) => spec.run(input, app),
            };
      return { help: false, options: values, args, ...ready };
    },
  };
}

function parseArgsOptions(options: OptionSpecs) {
  return Object.fromEntries(
    Object.entries(options).map(([key, option]) => [
      key,
      option.kind === 'value' && option.short
        ? { type: 'string' as const, short: option.short }
        : { type: option.kind === 'flag' ? ('boolean' as const) : ('string' as const) },
    ]),
  );
}

export interface Program {
  name: string;
  /** One line: what the program is for. */
  about: string;
  /** What `--version` prints after the name: the release, and the build's revision if known. */
  version: string;
  /** Where settings come from: shown under the commands that need the App. */
  settings: string;
  exitCodes: string;
  commands: readonly Command[];
}

/** What the command line asks for: a help text and the exit code, or a command ready to run. */
export type Call =
  | { help: string; code: number }
  | ({
      help?: undefined;
      command: Command;
      options: Record<string, unknown>;
      args: unknown;
    } & Ready);

/**
 * The command is the first word that is not an option (options may come before it, as in
 * `imagecycle --json status`); every other word is the command's to take or refuse.
 */
export function parseCommandLine(program: Program, argv: readonly string[]): Call {
  const everyOption: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const command of program.commands)
    for (const [key, spec] of Object.entries(parseArgsOptions(command.options))) {
      if (everyOption[key] && everyOption[key].type !== spec.type)
        throw new Error(`--${key} is a flag in one command and takes a value in another`);
      everyOption[key] = spec;
    }
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      ...everyOption,
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((t) => t.kind === 'positional');
  if (!first) {
    if (tokens.some((t) => t.kind === 'option' && t.name === 'version'))
      return { help: `${program.name} ${program.version}\n`, code: EXIT.ok };
    const asked = tokens.some((t) => t.kind === 'option' && t.name === 'help');
    return { help: programHelp(program), code: asked ? EXIT.ok : EXIT.usage };
  }
  const command = program.commands.find((c) => c.name === first.value);
  if (!command)
    throw new CliError(EXIT.usage, `unknown command "${first.value}"; see ${program.name} --help`);
  const prepared = command.prepare(argv.filter((_, i) => i !== first.index));
  if (prepared.help) return { help: commandHelp(program, command), code: EXIT.ok };
  return { ...prepared, help: undefined, command };
}

const WIDTH = 80;

/** Words of text as lines no wider than WIDTH, each starting with indent. */
function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${l}`);
}

/** A term and its description, the description wrapped in a column of its own. */
function describe(term: string, text: string, indent: number, column: number): string[] {
  const [head = '', ...rest] = wrap(text, column);
  const lead = `${' '.repeat(indent)}${term}`;
  return lead.length + 2 <= column
    ? [`${lead.padEnd(column)}${head.trimStart()}`, ...rest]
    : [lead, head, ...rest];
}

function optionTerm(key: string, option: OptionSpec): string {
  if (option.kind === 'flag') return `--${key}`;
  if (option.kind === 'list') return `--${key} ${option.value}[,${option.value}...]`;
  return `${option.short ? `-${option.short}, ` : ''}--${key} ${option.value}`;
}

function optionText(option: OptionSpec): string {
  if (option.kind === 'list') return `${option.help} (repeatable)`;
  if (option.kind === 'value' && option.default !== undefined)
    return `${option.help} (default ${option.default})`;
  return option.help;
}

export function synopsis(command: Command): string {
  const words = [command.name];
  if (command.positionals) words.push(command.positionals.synopsis);
  for (const [key, option] of Object.entries(command.options))
    words.push(
      option.kind === 'flag'
        ? `[--${key}]`
        : option.kind === 'list'
          ? `[--${key} ${option.value}]...`
          : `[${option.short ? `-${option.short}` : `--${key}`} ${option.value}]`,
    );
  return words.join(' ');
}

const COLUMN = 28;

function optionLines(command: Command, indent: number): string[] {
  return Object.entries(command.options).flatMap(([key, option]) =>
    describe(optionTerm(key, option), optionText(option), indent, COLUMN),
  );
}

export function programHelp(program: Program): string {
  const lines = [
    `${program.name} - ${program.about}`,
    '',
    `Usage: ${program.name} <command> [options]`,
    `       ${program.name} <command> --help    that command alone`,
    '',
    'Commands:',
  ];
  for (const command of program.commands)
    lines.push(
      `  ${synopsis(command)}`,
      ...wrap(command.summary, 6),
      ...(command.positionals
        ? describe(command.positionals.synopsis, command.positionals.help, 6, COLUMN)
        : []),
      ...optionLines(command, 6),
    );
  lines.push(
    '',
    'Options:',
    ...describe('-h, --help', 'this text; after a command, its own', 2, COLUMN),
    ...describe('-V, --version', 'the version of imagecycle (and the build revision)', 2, COLUMN),
    '',
    ...wrap(program.settings, 0),
    '',
    ...wrap(program.exitCodes, 0),
  );
  return `${lines.join('\n')}\n`;
}

export function commandHelp(program: Program, command: Command): string {
  const lines = [
    ...wrap(`${program.name} ${command.name} - ${command.summary}`, 0),
    '',
    `Usage: ${program.name} ${synopsis(command)}`,
  ];
  if (command.positionals)
    lines.push(
      '',
      'Arguments:',
      ...describe(command.positionals.synopsis, command.positionals.help, 2, COLUMN),
    );
  lines.push(
    '',
    'Options:',
    ...optionLines(command, 2),
    ...describe('-h, --help', 'this text', 2, COLUMN),
  );
  if (command.lifetime !== 'no-app') lines.push('', ...wrap(program.settings, 0));
  lines.push('', ...wrap(program.exitCodes, 0));
  return `${lines.join('\n')}\n`;
}
