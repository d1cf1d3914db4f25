// The command line comes from one table: the help names every command and option of it, each
// command answers --help without any settings, an option is taken only by the commands that
// declare it, and --series takes lists either way. The CLI runs as operators run it (a child
// process, with no REDIS_URL, no IMAGECYCLE_*, no cloud), or through its exported parser.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Call, parseCommandLine, synopsis } from '../src/command-line.ts';
import { COMMANDS, IMAGECYCLE } from '../src/commands/table.ts';
import { CliError, EXIT } from '../src/exit-codes.ts';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');
// each child process loads the whole CLI (about half a second of CPU); a small machine runs
// several tests' children at once
const SPAWNS = { timeout: 60_000 };

/** `imagecycle ...args` with nothing in its environment but PATH: no settings at all. */
function imagecycle(
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Help text with its line wrapping undone, to find a summary whatever the width. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

function refusal(argv: string[]): CliError {
  try {
    parseCommandLine(IMAGECYCLE, argv);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`imagecycle ${argv.join(' ')} was accepted`);
}

function ready(argv: string[]): Exclude<Call, { help: string }> {
  const call = parseCommandLine(IMAGECYCLE, argv);
  if (call.help !== undefined) throw new Error(`imagecycle ${argv.join(' ')} asked for help`);
  return call;
}

describe('imagecycle --help', SPAWNS, () => {
  it('lists every command of the table with its synopsis, summary and options, and the exit codes', async () => {
    // the table is what is checked against: make sure it is the whole CLI
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(
      [
        'all',
        'control-plane',
        'events',
        'images',
        'janitor',
        'plan',
        'run',
        'status',
        'usage-check',
        'validate',
        'worker',
      ].sort(),
    );
    const help = await imagecycle('--help');
    expect(help.status, help.stderr).toBe(0);
    const lines = help.stdout.split('\n');
    for (const command of COMMANDS) {
      expect(lines, command.name).toContain(`  ${synopsis(command)}`);
      expect(flat(help.stdout)).toContain(flat(command.summary));
      for (const option of Object.keys(command.options))
        expect(help.stdout).toContain(`--${option}`);
    }
    expect(flat(help.stdout)).toContain(
      'Exit codes: 0 ok, 1 something failed or was rejected, 2 usage, 3 configuration, 4 a dependency unreachable or a wait timed out.',
    );
    expect(flat(help.stdout)).toContain('Settings come from the environment (REDIS_URL,');

    // no command at all: the same text, but as a usage error
    const none = await imagecycle();
    expect(none.status).toBe(EXIT.usage);
    expect(none.stdout).toBe(help.stdout);
  });

  it('per command: every command answers --help (and -h) with exit 0 and no settings', async () => {
    const answers = await Promise.all(
      COMMANDS.map(async (command) => ({ command, ...(await imagecycle(command.name, '--help')) })),
    );
    for (const { command, status, stdout, stderr } of answers) {
      expect(status, `${command.name}: ${stderr}`).toBe(0);
      expect(stderr).toBe('');
      expect(flat(stdout)).toContain(`imagecycle ${command.name} - ${flat(command.summary)}`);
      expect(stdout).toContain(`Usage: imagecycle ${synopsis(command)}\n`);
      for (const option of Object.keys(command.options))
        expect(stdout, command.name).toMatch(new RegExp(`^  (-[a-z], )?--${option}\\b`, 'm'));
      // its own help, not another command's
      for (const other of COMMANDS.filter((c) => c !== command))
        expect(stdout).not.toContain(`Usage: imagecycle ${synopsis(other)}\n`);
    }
    // -h too, and --help before the command, and --help after other options
    for (const argv of [
      ['run', '-h'],
      ['--help', 'run'],
      ['run', '--series', 'x', '--help'],
    ]) {
      const short = await imagecycle(...argv);
      expect(short.status, argv.join(' ')).toBe(0);
      expect(short.stdout, argv.join(' ')).toContain(`Usage: imagecycle run [--series ID]...`);
    }
  });
});

describe('imagecycle <command> [options]', SPAWNS, () => {
  it('refuses, naming it, an option that belongs to another command (usage, exit 2)', async () => {
    const everyOption = new Set(COMMANDS.flatMap((c) => Object.keys(c.options)));
    let refused = 0;
    for (const command of COMMANDS)
      for (const option of everyOption)
        if (!Object.hasOwn(command.options, option)) {
          const error = refusal([command.name, `--${option}`, 'x']);
          expect(error.code, `${command.name} --${option}`).toBe(EXIT.usage);
          expect(error.message).toContain(`${command.name}: unknown option --${option}`);
          refused += 1;
        }
    expect(refused).toBeGreaterThan(20);

    // and so it is for operators: before any setting is read
    const wait = await imagecycle('status', '--wait');
    expect(wait.status).toBe(EXIT.usage);
    expect(wait.stderr).toContain('status: unknown option --wait');
    const json = await imagecycle('worker', 'feed-watcher', '--json');
    expect(json.status).toBe(EXIT.usage);
    expect(json.stderr).toContain('worker: unknown option --json');
  });

  it('takes each option where it belongs, with its value checked', () => {
    expect(ready(['run', '--wait', '--timeout', '90', '--json']).options).toEqual({
      series: [],
      wait: true,
      timeout: 90,
      json: true,
    });
    expect(ready(['run']).options).toMatchObject({ wait: false, timeout: 3600, json: false });
    // the usage check and the janitor start one job, and wait for it with --wait
    for (const command of ['usage-check', 'janitor']) {
      expect(ready([command, '--series', 'debian-12', '--wait', '--timeout', '30'])).toMatchObject({
        needs: 'app',
        stopAfterwards: true,
        options: { series: ['debian-12'], wait: true, timeout: 30, json: false },
      });
      expect(ready([command]).options, command).toEqual({
        series: [],
        wait: false,
        timeout: 600,
        json: false,
      });
      expect(refusal([command, '--timeout', 'soon']).message).toBe(
        '--timeout: "soon" is not a positive number of seconds',
      );
      expect(refusal([command, '--limit', '3']).message).toContain(
        `${command}: unknown option --limit`,
      );
    }
    expect(ready(['events']).options).toMatchObject({ limit: 50 });
    expect(ready(['images', '--state', 'community']).options).toMatchObject({ state: 'community' });
    expect(ready(['validate', 'my.yaml', '--json'])).toMatchObject({
      needs: 'nothing',
      args: 'my.yaml',
      options: { json: true },
    });
    expect(ready(['worker', 'renamer', 'reaper'])).toMatchObject({
      needs: 'app',
      stopAfterwards: false,
      args: ['renamer', 'reaper'],
    });
    expect(ready(['status'])).toMatchObject({ needs: 'app', stopAfterwards: true });
    // options may come before the command
    expect(ready(['--json', 'status']).options).toEqual({
      series: [],
      format: 'table',
      json: true,
    });

    expect(refusal(['run', '--timeout', '0']).message).toBe(
      '--timeout: "0" is not a positive number of seconds',
    );
    expect(refusal(['events', '--limit', 'lots']).message).toBe(
      '--limit: "lots" is not a positive integer',
    );
    expect(refusal(['images', '--state', 'shiny']).message).toBe(
      '--state: "shiny" is not one of candidate, verified, latest, community, retiring',
    );
    expect(refusal(['status', 'debian-12']).message).toContain(
      'status: unexpected argument "debian-12"',
    );
    expect(refusal(['run', '--series']).message).toContain('run: --series needs a value (ID)');
    expect(refusal(['run', '--series', '--wait']).message).toContain('--series needs a value');
    expect(refusal(['plan', '--json=yes']).message).toContain('plan: --json takes no value');
  });

  it('--series a,b --series c is [a, b, c] for every command that takes --series', () => {
    const withSeries = COMMANDS.filter((c) => Object.hasOwn(c.options, 'series'));
    expect(withSeries.map((c) => c.name).sort()).toEqual(
      ['events', 'images', 'janitor', 'plan', 'run', 'status', 'usage-check'].sort(),
    );
    for (const command of withSeries) {
      expect(
        ready([command.name, '--series', 'a,b', '--series', 'c']).options.series,
        command.name,
      ).toEqual(['a', 'b', 'c']);
      expect(ready([command.name, '--series=a', '--series', 'b,a']).options.series).toEqual([
        'a',
        'b',
      ]);
    }
  });

  it('refuses an unknown command (usage, exit 2), naming it', async () => {
    const unknown = await imagecycle('stauts');
    expect(unknown.status).toBe(EXIT.usage);
    expect(unknown.stderr).toBe('imagecycle: unknown command "stauts"; see imagecycle --help\n');
    expect(unknown.stdout).toBe('');
  });
});
