// infra/container/Dockerfile, checked statically (no Docker engine runs on the project's
// machines, so the image cannot be built in tests): multi-stage on Node 24, a numeric
// non-root user that matches the pods' runAsUser, the decompressors installed, the pinned
// pnpm, every COPY source present in the repository and not excluded from the context.
// The analysis is also run on deliberately broken Dockerfiles, so that it can fail.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { K8S_DIR, REPO_ROOT } from './k8s-rules.ts';

const DOCKERFILE = join(REPO_ROOT, 'infra/container/Dockerfile');
const DOCKERIGNORE = join(REPO_ROOT, '.dockerignore');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  /** the image, ARG defaults substituted */
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
export function instructionsOf(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return; // a comment inside a continuation
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const whole = (pending + line).trim();
    pending = '';
    const [keyword = '', ...rest] = whole.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
  });
  return instructions;
}

/** The build stages, with `${ARG}` in FROM replaced by the ARG's default given before it. */
export function stagesOf(text: string): Stage[] {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => globalArgs[arg] ?? '');
      stages.push({
        image: resolved,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [arg = '', value = ''] = instruction.args.split('=');
      globalArgs[arg] = value;
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** A .dockerignore pattern as a regular expression over context-relative paths. */
function ignoreMatcher(pattern: string): RegExp {
  const source = pattern
    .replace(/^\//, '')
    .split('/')
    .map((part) =>
      part === '**'
        ? '(?:.*/)?'
        : part
            .replace(/[.+^$()|[\]{}]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]') + '/',
    )
    .join('');
  // a pattern matches the path itself and everything under it
  return new RegExp(`^${source.replace(/\/$/, '')}(?:/.*)?$`);
}

export function ignoredBy(dockerignore: string, path: string): boolean {
  let ignored = false;
  for (const raw of dockerignore.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (ignoreMatcher(negated ? line.slice(1) : line).test(path.replace(/^\.\//, '')))
      ignored = !negated;
  }
  return ignored;
}

function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Every problem of the Dockerfile (an empty list when it follows the rules). */
export function dockerfileProblems(
  text: string,
  dockerignore: string,
  repoRoot: string,
  expected: { pnpmVersion: string; runAsUser: number; version: string; license: string },
): string[] {
  const problems: string[] = [];
  const stages = stagesOf(text);
  if (stages.length < 2) problems.push(`${stages.length} stage(s): not a multi-stage build`);
  for (const stage of stages)
    if (!/^node:24[.\-\w]*-(bookworm|trixie)-slim$/.test(stage.image))
      problems.push(
        `stage ${stage.name ?? '?'} is based on "${stage.image}", not Node 24 Debian slim`,
      );

  const final = stages.at(-1);
  const finalInstructions = final?.instructions ?? [];
  const user = finalInstructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
  const match = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (!match) problems.push(`the final USER is "${user ?? '(none)'}", not a numeric uid[:gid]`);
  else if (Number(match[1]) === 0) problems.push('the final USER is root');
  else if (Number(match[1]) !== expected.runAsUser)
    problems.push(`the final USER ${match[1]} is not the pods' runAsUser ${expected.runAsUser}`);

  const installs = finalInstructions
    .filter((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))
    .map((i) => i.args)
    .join(' ');
  for (const pkg of ['xz-utils', 'bzip2', 'ca-certificates'])
    if (!new RegExp(`(^|\\s)${pkg}(\\s|$)`).test(installs))
      problems.push(`the final stage does not apt-get install ${pkg}`);

  const stageNames = new Set<string>();
  stages.forEach((stage, index) => {
    for (const instruction of stage.instructions.filter((i) => i.keyword === 'COPY')) {
      const words = instruction.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      if (from !== undefined) {
        if (!stageNames.has(from) && !(Number(from) < index))
          problems.push(`line ${instruction.line}: COPY --from=${from} names no earlier stage`);
        continue;
      }
      for (const source of paths.slice(0, -1)) {
        if (!existsSync(join(repoRoot, source)))
          problems.push(`line ${instruction.line}: COPY source ${source} does not exist`);
        else if (ignoredBy(dockerignore, source))
          problems.push(
            `line ${instruction.line}: COPY source ${source} is excluded by .dockerignore`,
          );
      }
    }
    if (stage.name) stageNames.add(stage.name);
  });

  const pnpmArg = stages
    .flatMap((s) => s.instructions)
    .find((i) => i.keyword === 'ARG' && i.args.startsWith('PNPM_VERSION='));
  if (pnpmArg?.args !== `PNPM_VERSION=${expected.pnpmVersion}`)
    problems.push(
      `ARG ${pnpmArg?.args ?? 'PNPM_VERSION'} is not package.json's pnpm ${expected.pnpmVersion}`,
    );
  const install = stages
    .flatMap((s) => s.instructions)
    .find((i) => i.keyword === 'RUN' && /pnpm install/.test(i.args));
  for (const flag of ['--frozen-lockfile', '--prod'])
    if (!install?.args.includes(flag)) problems.push(`pnpm install without ${flag}`);

  const entrypoint = finalInstructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  const argv = entrypoint ? execForm(entrypoint.args) : undefined;
  if (!argv) problems.push('ENTRYPOINT is not in exec form (a shell would not pass on SIGTERM)');
  else if (!argv.includes('/app/bin/imagecycle'))
    problems.push(`ENTRYPOINT ${entrypoint?.args} does not run /app/bin/imagecycle`);

  problems.push(...labelProblems(finalInstructions, expected));

  for (const required of ['**/node_modules', '.tools', '.git'])
    if (!dockerignore.split('\n').some((line) => line.trim() === required))
      problems.push(`.dockerignore does not exclude ${required}`);
  return problems;
}

/** `key="value" key=value ...` of a LABEL or ENV instruction. */
export function pairsOf(args: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const [, key = '', quoted, bare] of args.matchAll(/([\w.-]+)=(?:"([^"]*)"|(\S*))/g))
    pairs.set(key, quoted ?? bare ?? '');
  return pairs;
}

/**
 * The final image says what it is with the OCI labels: its version and revision from build
 * arguments (VERSION defaulting to package.json's version), where its source is, its licence;
 * and it hands the revision on to `imagecycle --version`.
 */
function labelProblems(
  instructions: readonly Instruction[],
  expected: { version: string; license: string },
): string[] {
  const problems: string[] = [];
  const args = new Map(
    instructions
      .filter((i) => i.keyword === 'ARG')
      .map((i) => {
        const [name = '', value] = i.args.split('=');
        return [name, value] as const;
      }),
  );
  for (const arg of ['VERSION', 'REVISION', 'SOURCE'])
    if (!args.has(arg)) problems.push(`the final stage declares no ARG ${arg}`);
  if (args.has('VERSION') && args.get('VERSION') !== expected.version)
    problems.push(
      `ARG VERSION defaults to "${args.get('VERSION') ?? ''}", not package.json's ${expected.version}`,
    );
  const labels = new Map(
    instructions.filter((i) => i.keyword === 'LABEL').flatMap((i) => [...pairsOf(i.args)]),
  );
  const want: Record<string, string> = {
    'org.opencontainers.image.version': '${VERSION}',
    'org.opencontainers.image.revision': '${REVISION}',
    'org.opencontainers.image.source': '${SOURCE}',
    'org.opencontainers.image.licenses': expected.license,
  };
  for (const [label, value] of Object.entries(want))
    if (labels.get(label) !== value)
      problems.push(`LABEL ${label} is ${JSON.stringify(labels.get(label))}, not "${value}"`);
  const env = new Map(
    instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => [...pairsOf(i.args)]),
  );
  if (env.get('IMAGECYCLE_REVISION') !== '${REVISION}')
    problems.push('ENV IMAGECYCLE_REVISION is not ${REVISION} (imagecycle --version shows it)');
  return problems;
}

const rootPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  packageManager: string;
  version: string;
  license: string;
};
const packageManager = rootPackage.packageManager;
const podDefaults = parseYaml(
  readFileSync(join(K8S_DIR, 'components/pod-defaults/pod-defaults.yaml'), 'utf8'),
) as { spec: { template: { spec: { securityContext: { runAsUser: number } } } } };
const EXPECTED = {
  pnpmVersion: packageManager.replace(/^pnpm@/, ''),
  runAsUser: podDefaults.spec.template.spec.securityContext.runAsUser,
  version: rootPackage.version,
  license: rootPackage.license,
};
const dockerfile = readFileSync(DOCKERFILE, 'utf8');
const dockerignore = readFileSync(DOCKERIGNORE, 'utf8');
const problemsOf = (text: string, ignore = dockerignore) =>
  dockerfileProblems(text, ignore, REPO_ROOT, EXPECTED);

describe('infra/container/Dockerfile', () => {
  it('follows every rule', () => {
    expect(problemsOf(dockerfile)).toEqual([]);
  });

  it('builds in two stages on Node 24 and runs as the pods’ numeric user', () => {
    const stages = stagesOf(dockerfile);
    expect(stages.map((s) => s.name)).toEqual(['deps', 'runtime']);
    expect(stages.every((s) => s.image.startsWith('node:24'))).toBe(true);
    const user = stages[1]?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBe(`${EXPECTED.runAsUser}:${EXPECTED.runAsUser}`);
  });

  it('runs the entry point that the README and bin/imagecycle describe', () => {
    const launcher = readFileSync(join(REPO_ROOT, 'bin/imagecycle'), 'utf8');
    expect(launcher).toContain('--max-semi-space-size=1');
    expect(launcher).toContain('services/cli/src/main.ts');
    expect(existsSync(join(REPO_ROOT, 'services/cli/src/main.ts'))).toBe(true);
  });

  it('keeps the tests and local installs out of the build context', () => {
    for (const path of [
      'node_modules/x',
      'services/composition/node_modules/zod',
      'services/composition/test/settings.test.ts',
      'test/e2e/x.ts',
      '.tools/bin/node',
    ])
      expect(ignoredBy(dockerignore, path), path).toBe(true);
    for (const path of [
      'services/composition/src/app.ts',
      'services/cli/src/main.ts',
      'pnpm-lock.yaml',
      // the packaged catalogue and the upstreams' keys KEYRING_DIR defaults to
      'packages/series-catalogue/catalogue.yaml',
      'packages/series-catalogue/keys/ubuntu.asc',
      'packages/series-catalogue/keys/SOURCES.md',
    ])
      expect(ignoredBy(dockerignore, path), path).toBe(false);
  });

  describe('the analysis rejects broken Dockerfiles', () => {
    it('a single stage on another Node, running as root', () => {
      const broken = 'FROM node:22-bookworm-slim\nUSER root\nENTRYPOINT node main.js\n';
      expect(problemsOf(broken)).toEqual(
        expect.arrayContaining([
          '1 stage(s): not a multi-stage build',
          'stage ? is based on "node:22-bookworm-slim", not Node 24 Debian slim',
          'the final USER is "root", not a numeric uid[:gid]',
          'the final stage does not apt-get install xz-utils',
          'ENTRYPOINT is not in exec form (a shell would not pass on SIGTERM)',
        ]),
      );
    });

    it('a COPY of a missing or excluded path, uid 0, another pnpm', () => {
      const broken = dockerfile
        .replace('COPY bin ./bin', 'COPY bin-missing ./bin\nCOPY test ./test')
        .replace('USER 10001:10001', 'USER 0:0')
        .replace(/PNPM_VERSION=[\d.]+/, 'PNPM_VERSION=9.0.0')
        .replace(' bzip2 ', ' ');
      const problems = problemsOf(broken);
      expect(problems).toContainEqual(
        expect.stringMatching(/COPY source bin-missing does not exist/),
      );
      expect(problems).toContainEqual(expect.stringMatching(/COPY source test is excluded/));
      expect(problems).toContain('the final USER is root');
      expect(problems).toContain('the final stage does not apt-get install bzip2');
      expect(problems).toContainEqual(expect.stringMatching(/PNPM_VERSION=9.0.0 is not/));
    });

    it('an image without its OCI labels, or with a version other than the release', () => {
      const unlabelled = dockerfile.replace(/^LABEL (?:.*\\\n)*.*\n/m, '');
      expect(unlabelled).not.toContain('org.opencontainers.image.version');
      expect(problemsOf(unlabelled)).toEqual(
        expect.arrayContaining([
          'LABEL org.opencontainers.image.version is undefined, not "${VERSION}"',
          'LABEL org.opencontainers.image.licenses is undefined, not "Apache-2.0"',
        ]),
      );
      const stale = dockerfile
        .replace(/^ARG VERSION=.*$/m, 'ARG VERSION=0.0.1')
        .replace(/^ARG REVISION=.*\n/m, '')
        .replace('image.source="${SOURCE}"', 'image.source="https://example.org"')
        .replace('IMAGECYCLE_REVISION=${REVISION}', 'IMAGECYCLE_REVISION=dev');
      expect(problemsOf(stale)).toEqual([
        'the final stage declares no ARG REVISION',
        `ARG VERSION defaults to "0.0.1", not package.json's ${rootPackage.version}`,
        'LABEL org.opencontainers.image.source is "https://example.org", not "${SOURCE}"',
        'ENV IMAGECYCLE_REVISION is not ${REVISION} (imagecycle --version shows it)',
      ]);
    });

    it('a context that would ship node_modules', () => {
      const problems = problemsOf(dockerfile, dockerignore.replace('**/node_modules', ''));
      expect(problems).toContain('.dockerignore does not exclude **/node_modules');
    });
  });
});
