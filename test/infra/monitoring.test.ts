// The monitoring objects of components/monitoring, checked offline: the alert rules pass
// promtool's checks and unit tests (alerts.promtool.yaml), and every PromQL expression of
// the rules and the Grafana dashboard parses and reads only metrics the code exports.
// (Their schemas, and the PodMonitors' coverage of every Deployment, are in k8s.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderOverlay, type K8sObject } from './k8s-rules.ts';
import {
  dashboardExpressions,
  exportedMetricNames,
  metricNameProblems,
  MONITORING_DIR,
  PROMTOOL_TESTS,
  promtoolProblems,
  ruleGroupsOf,
} from './monitoring-rules.ts';

let rule: K8sObject;
let exported: Set<string>;
const dashboard = JSON.parse(
  readFileSync(join(MONITORING_DIR, 'imagecycle-dashboard.json'), 'utf8'),
) as { panels: [] };

beforeAll(async () => {
  const objects = renderOverlay('production');
  const found = objects.find((o) => o.kind === 'PrometheusRule');
  if (!found) throw new Error('the production overlay renders no PrometheusRule');
  rule = found;
  exported = await exportedMetricNames();
});

const ruleExpressions = (): [string, string][] =>
  ruleGroupsOf(rule).flatMap((group) =>
    group.rules.map((r): [string, string] => [`rule ${r.alert ?? r.record}`, r.expr]),
  );

describe('alert rules', () => {
  it("hold each alert of the README's list", () => {
    const alerts = ruleExpressions().map(([where]) => where.replace('rule ', ''));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'ImagecycleSeriesNotPublished',
        'ImagecycleChecksNotRunning',
        'ImagecycleChecksFailing',
        'ImagecycleReleaseRejected',
        'ImagecycleJobsFailed',
        'ImagecycleJobFailures',
        'ImagecycleUpstreamOverdue',
        'ImagecycleTargetsDisagree',
        'ImagecycleUploadGivenUp',
      ]),
    );
  });

  it('pass promtool check rules and their unit tests', () => {
    expect(promtoolProblems(rule)).toEqual([]);
  }, 30_000);

  it('every alert has a case in the promtool tests', () => {
    const tests = readFileSync(PROMTOOL_TESTS, 'utf8');
    for (const [where] of ruleExpressions())
      expect(tests, where).toContain(`alertname: ${where.replace('rule ', '')}`);
  });
});

describe('metric names', () => {
  it('the code exports the README metrics and the standard process metrics', () => {
    for (const name of [
      'imagecycle_queue_jobs',
      'imagecycle_images',
      'imagecycle_job_duration_seconds_bucket',
      'imagecycle_metrics_leader',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(exported, name).toContain(name);
    expect([...exported].filter((name) => name.startsWith('imagecycle_process_'))).toEqual([]);
  });

  it('the rules read only exported metrics', () => {
    expect(metricNameProblems(ruleExpressions(), exported)).toEqual([]);
  });

  it('the dashboard reads only exported metrics', () => {
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(10);
    expect(metricNameProblems(expressions, exported)).toEqual([]);
  });
});

describe('the checks reject broken monitoring', () => {
  it('a rule whose threshold changed fails its promtool case', () => {
    const broken = structuredClone(rule);
    const notRunning = ruleGroupsOf(broken)[0]?.rules.find(
      (r) => r.alert === 'ImagecycleChecksNotRunning',
    );
    if (!notRunning) throw new Error('no ImagecycleChecksNotRunning');
    notRunning.expr = notRunning.expr.replace('26 * 3600', '30 * 3600');
    const problems = promtoolProblems(broken);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/promtool test rules:[\s\S]*ImagecycleChecksNotRunning/);
  }, 30_000);

  it('a rule that does not parse fails promtool check rules', () => {
    const broken = structuredClone(rule);
    const first = ruleGroupsOf(broken)[0]?.rules[0];
    if (!first) throw new Error('no rule');
    first.expr = 'sum by (series (imagecycle_images)';
    expect(promtoolProblems(broken)[0]).toMatch(/^promtool check rules:/);
  }, 30_000);

  it('an unknown metric, a bad expression or a nameless selector is reported', () => {
    expect(
      metricNameProblems(
        [
          ['panel "a"', 'sum(imagecycle_queue_depth{state="waiting"})'],
          ['panel "b"', 'rate(imagecycle_bytes_total[$__rate_interval]'],
          ['panel "c"', '{__name__=~"imagecycle_.*"}'],
          ['panel "d"', 'max(imagecycle_images{namespace="$cluster"})'],
        ],
        exported,
      ),
    ).toEqual([
      'panel "a": imagecycle_queue_depth is not exported by the code',
      'panel "b": does not parse at 31: rate(imagecycle_bytes_total[5m]',
      'panel "c": a selector without a metric name: {__name__=~"imagecycle_.*"}',
      'panel "d": an unknown Grafana variable: max(imagecycle_images{namespace="$cluster"})',
    ]);
  });
});
