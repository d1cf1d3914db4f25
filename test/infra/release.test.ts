// One release for the whole workspace: every package.json has the root's version and licence,
// `imagecycle --version` prints it, CHANGELOG.md has its entry, LICENSE is the licence named,
// and each kustomize overlay names the container image in one place (its `images:` entry):
// rendered with another name and tag there, every container of every object follows.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  K8S_DIR,
  OVERLAYS_DIR,
  overlayNames,
  REPO_ROOT,
  renderKustomization,
  type K8sObject,
} from './k8s-rules.ts';

interface PackageJson {
  name: string;
  version?: string;
  license?: string;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
const root = readJson(join(REPO_ROOT, 'package.json'));

/** The workspace's package.json files, found from pnpm-workspace.yaml's globs (`dir/*` or `dir`). */
export function workspacePackageFiles(repoRoot: string): string[] {
  const workspace = parseYaml(readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8')) as {
    packages: string[];
  };
  const dirs = workspace.packages.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(join(repoRoot, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs.map((dir) => join(repoRoot, dir, 'package.json')).filter((file) => existsSync(file));
}

/** Each package whose version or licence differs from the root's, as a sentence. */
export function versionProblems(repoRoot: string): string[] {
  const top = readJson(join(repoRoot, 'package.json'));
  const problems: string[] = [];
  if (!/^\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(top.version ?? ''))
    problems.push(`package.json: version ${JSON.stringify(top.version)} is not semver`);
  for (const file of workspacePackageFiles(repoRoot)) {
    const pkg = readJson(file);
    const where = relative(repoRoot, file);
    if (pkg.version !== top.version)
      problems.push(`${where}: ${pkg.name} is version ${pkg.version}, not ${top.version}`);
    if (pkg.license !== top.license)
      problems.push(`${where}: ${pkg.name} has licence ${pkg.license}, not ${top.license}`);
  }
  return problems;
}

describe('the release', () => {
  it('is one version and one licence for every package of the workspace', () => {
    const files = workspacePackageFiles(REPO_ROOT);
    // the globs found the whole workspace, stages and the test workspace included
    expect(files.length).toBeGreaterThan(20);
    expect(files.map((f) => relative(REPO_ROOT, f))).toEqual(
      expect.arrayContaining([
        'services/cli/package.json',
        'services/stages/reaper/package.json',
        'packages/contracts/package.json',
        'test/package.json',
      ]),
    );
    expect(root.license).toBe('Apache-2.0');
    expect(versionProblems(REPO_ROOT)).toEqual([]);
  });

  it('finds a package left behind', () => {
    const copy = mkdtempSync(join(tmpdir(), 'imagecycle-release-'));
    try {
      for (const file of ['package.json', 'pnpm-workspace.yaml'])
        cpSync(join(REPO_ROOT, file), join(copy, file));
      for (const file of workspacePackageFiles(REPO_ROOT)) {
        const target = join(copy, relative(REPO_ROOT, file));
        cpSync(dirname(file) + '/package.json', target, { force: true });
      }
      const reaper = join(copy, 'services/stages/reaper/package.json');
      writeFileSync(
        reaper,
        JSON.stringify({ ...readJson(reaper), version: '0.0.0', license: undefined }),
      );
      expect(versionProblems(copy)).toEqual([
        `services/stages/reaper/package.json: @imagecycle/reaper is version 0.0.0, not ${root.version}`,
        `services/stages/reaper/package.json: @imagecycle/reaper has licence undefined, not ${root.license}`,
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('is what `imagecycle --version` prints, with the build revision when the image has one', () => {
    const main = join(REPO_ROOT, 'services/cli/src/main.ts');
    const plain = spawnSync(process.execPath, [main, '--version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(`imagecycle ${root.version}\n`);
    const built = spawnSync(process.execPath, [main, '-V'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', IMAGECYCLE_REVISION: '0123abcd' },
    });
    expect(built.stdout).toBe(`imagecycle ${root.version} (revision 0123abcd)\n`);
  });

  it('has its CHANGELOG.md entry (Keep a Changelog) and the licence text', () => {
    const changelog = readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n/);
    expect(changelog).toContain('https://keepachangelog.com/en/1.1.0/');
    const headings = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)];
    expect(headings[0]?.[1]).toBe('Unreleased');
    // the newest release is the workspace's version, dated
    expect(headings[1]?.[1]).toBe(root.version);
    expect(headings[1]?.[2]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // only Keep a Changelog's kinds of change
    for (const [, kind] of changelog.matchAll(/^### (.+)$/gm))
      expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(kind);
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\n\s*Version 2\.0, January 2004\n/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });
});

// ---------------------------------------------------------------------------------------
// The container image, named in one place per overlay

interface ImageSetting {
  name: string;
  newName?: string;
  newTag?: string;
}

interface Kustomization {
  resources?: string[];
  images?: ImageSetting[];
}

const kustomizationOf = (dir: string) =>
  parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;

/**
 * The kustomization directories that declare an `images:` entry for `imagecycle`, in the
 * overlay and the overlays it builds on (its resources that are directories with a
 * kustomization.yaml).
 */
export function imageSettingsOf(dir: string): { dir: string; setting: ImageSetting }[] {
  const kustomization = kustomizationOf(dir);
  const here = (kustomization.images ?? [])
    .filter((image) => image.name === 'imagecycle')
    .map((setting) => ({ dir, setting }));
  const below = (kustomization.resources ?? [])
    .map((resource) => resolve(dir, resource))
    .filter((path) => existsSync(join(path, 'kustomization.yaml')))
    .flatMap(imageSettingsOf);
  return [...here, ...below];
}

/** Every container image an object names, wherever its pod template is. */
export function imageReferences(object: unknown): string[] {
  if (Array.isArray(object)) return object.flatMap(imageReferences);
  if (object === null || typeof object !== 'object') return [];
  const references: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value))
      for (const container of value as { image?: unknown }[])
        references.push(String(container.image));
    else references.push(...imageReferences(value));
  }
  return references;
}

const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

/** The overlay rendered from a copy of infra/k8s whose one image setting is `reference`. */
function renderWithImage(overlay: string, newName: string, newTag: string): K8sObject[] {
  const copy = mkdtempSync(join(tmpdir(), 'imagecycle-k8s-'));
  copies.push(copy);
  cpSync(K8S_DIR, copy, { recursive: true });
  const [owner] = imageSettingsOf(join(OVERLAYS_DIR, overlay));
  if (!owner) throw new Error(`overlay ${overlay} names no image`);
  const file = join(copy, relative(K8S_DIR, owner.dir), 'kustomization.yaml');
  const kustomization = parseYaml(readFileSync(file, 'utf8')) as Kustomization;
  kustomization.images = (kustomization.images ?? []).map((image) =>
    image.name === 'imagecycle' ? { ...image, newName, newTag } : image,
  );
  writeFileSync(file, stringifyYaml(kustomization));
  return renderKustomization(join(copy, 'overlays', overlay));
}

describe.each(overlayNames())('overlay %s', (overlay) => {
  it('names the imagecycle image in one place, with the release as its tag', () => {
    const settings = imageSettingsOf(join(OVERLAYS_DIR, overlay));
    expect(settings.map((s) => relative(K8S_DIR, s.dir))).toHaveLength(1);
    expect(settings[0]?.setting.newTag).toBe(root.version);
    expect(settings[0]?.setting.newName).toMatch(/\S/);
  });

  it('runs every container from that one setting', () => {
    const references = renderWithImage(
      overlay,
      'registry.test/ops/imagecycle',
      '9.9.9-check',
    ).flatMap(imageReferences);
    expect(references.length).toBeGreaterThan(0);
    expect(new Set(references)).toEqual(new Set(['registry.test/ops/imagecycle:9.9.9-check']));
  });
});

describe('the image checks', () => {
  it('find a container that names its image itself', () => {
    const objects = renderWithImage('small', 'registry.test/ops/imagecycle', '1.2.3');
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { initContainers?: { name: string; image: string }[] } } };
    };
    deployment.spec.template.spec.initContainers = [{ name: 'pin', image: 'busybox:1' }];
    expect(new Set(objects.flatMap(imageReferences))).toEqual(
      new Set(['registry.test/ops/imagecycle:1.2.3', 'busybox:1']),
    );
  });

  it('find a second image setting in an overlay chain', () => {
    const copy = mkdtempSync(join(tmpdir(), 'imagecycle-k8s-'));
    copies.push(copy);
    cpSync(K8S_DIR, copy, { recursive: true });
    const file = join(copy, 'overlays/production-cluster/kustomization.yaml');
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}\nimages:\n  - name: imagecycle\n    newTag: other\n`,
    );
    expect(imageSettingsOf(join(copy, 'overlays/production-cluster'))).toHaveLength(2);
  });
});
