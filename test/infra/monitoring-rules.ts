// Checks of the monitoring objects (infra/k8s/components/monitoring): the alert rules run
// through promtool, and every PromQL expression of the rules and of the Grafana dashboard
// parsed (the Prometheus project's own PromQL grammar, @prometheus-io/lezer-promql) so that
// each metric it reads is one the code exports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  registerCatalogueMetrics,
  registerLeaderGauge,
  registerQueueMetrics,
  soleReplica,
} from '@imagecycle/control-plane';
import { createMetrics } from '@imagecycle/observability';
import type { QueueRuntime } from '@imagecycle/queues';
import { parser } from '@prometheus-io/lezer-promql';
import { stringify } from 'yaml';
import { REPO_ROOT, type K8sObject } from './k8s-rules.ts';

export const MONITORING_DIR = join(REPO_ROOT, 'infra/k8s/components/monitoring');
export const PROMTOOL_TESTS = join(REPO_ROOT, 'test/infra/alerts.promtool.yaml');

/** promtool: $PROMTOOL, the one scripts/promtool.sh installs in .tools/bin, or PATH's. */
export function promtoolPath(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  const installed = join(REPO_ROOT, '.tools/bin/promtool');
  return existsSync(installed) ? installed : 'promtool';
}

export function promtool(args: string[], cwd?: string): { ok: boolean; output: string } {
  const result = spawnSync(promtoolPath(), args, { encoding: 'utf8', cwd });
  if (result.error)
    throw new Error(
      `cannot run "${promtoolPath()}": ${result.error.message}. Install it with scripts/promtool.sh (Debian's prometheus package) or set PROMTOOL to its path.`,
    );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; annotations?: object }[];
}

export const ruleGroupsOf = (rule: K8sObject) => (rule.spec as { groups: RuleGroup[] }).groups;

/**
 * Runs `promtool check rules` on the PrometheusRule's groups, then `promtool test rules`
 * with the cases of alerts.promtool.yaml (on the rules without their annotations: the
 * cases test the expressions; the annotation templates are checked by `check rules`).
 */
export function promtoolProblems(rule: K8sObject, tests = readFileSync(PROMTOOL_TESTS, 'utf8')) {
  const dir = mkdtempSync(join(tmpdir(), 'imagecycle-rules-'));
  try {
    const groups = ruleGroupsOf(rule);
    writeFileSync(join(dir, 'full-rules.yaml'), stringify({ groups }));
    const check = promtool(['check', 'rules', 'full-rules.yaml'], dir);
    if (!check.ok) return [`promtool check rules: ${check.output.trim()}`];
    const bare = groups.map((group) => ({
      ...group,
      rules: group.rules.map(({ annotations: _, ...rest }) => rest),
    }));
    writeFileSync(join(dir, 'imagecycle-rules.yaml'), stringify({ groups: bare }));
    writeFileSync(join(dir, 'tests.yaml'), tests);
    const test = promtool(['test', 'rules', 'tests.yaml'], dir);
    return test.ok ? [] : [`promtool test rules: ${test.output.trim()}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The metric names the code exports, gathered from its registrations: a registry with the
 * process metrics and worker counters (createMetrics, as every process has), the control
 * plane's queue, catalogue and lease gauges. Histograms add _bucket, _sum and _count.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const { registry } = createMetrics();
  const runtime = { definitions: [], queue: () => undefined } as unknown as QueueRuntime;
  registerQueueMetrics(registry, runtime, soleReplica);
  registerCatalogueMetrics(registry, () => Promise.resolve([]), soleReplica);
  registerLeaderGauge(registry, soleReplica);
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    // each registered metric is a prom-client Metric, whose get() says its name and type
    const { name, type } = await (
      metric as unknown as { get(): Promise<{ name: string; type: string }> }
    ).get();
    names.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Grafana's variables in an expression, replaced by values PromQL parses. */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '5m',
  $__interval: '1m',
  $__range: '1d',
  $namespace: 'imagecycle',
};

/** The metric names an expression reads; problems when it does not parse. */
export function metricsOf(expr: string): { names: string[]; problems: string[] } {
  let text = expr;
  for (const [variable, value] of Object.entries(GRAFANA_VARIABLES))
    text = text.replaceAll(variable, value);
  const names: string[] = [];
  const problems: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) problems.push(`does not parse at ${node.from}: ${text}`);
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (!identifier) problems.push(`a selector without a metric name: ${text}`);
        else names.push(text.slice(identifier.from, identifier.to));
      }
    },
  });
  if (text.includes('$')) problems.push(`an unknown Grafana variable: ${text}`);
  return { names, problems };
}

interface DashboardPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

/** Every expression of the dashboard, as [where, expr]. */
export function dashboardExpressions(dashboard: { panels: DashboardPanel[] }): [string, string][] {
  const found: [string, string][] = [];
  const visit = (panels: DashboardPanel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        if (target.expr) found.push([`panel "${panel.title}"`, target.expr]);
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return found;
}

/** Each expression's problems: unparsable, or reading a metric the code does not export. */
export function metricNameProblems(
  expressions: readonly [string, string][],
  exported: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const [where, expr] of expressions) {
    const { names, problems: parse } = metricsOf(expr);
    problems.push(...parse.map((p) => `${where}: ${p}`));
    if (names.length === 0 && parse.length === 0) problems.push(`${where}: reads no metric`);
    for (const name of names)
      if (!exported.has(name)) problems.push(`${where}: ${name} is not exported by the code`);
  }
  return problems;
}
