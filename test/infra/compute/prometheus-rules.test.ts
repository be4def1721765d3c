import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PHASES, PHASE_NAMES } from '../../../phases';
import { renderAlertRules } from '../../../lib/monitoring/prometheus-rules';
import { regionalStackName } from '../../../lib/naming';
import { GRAFANA_DIR, grafanaDashboard } from '../../../lib/monitoring/grafana-dashboard';
import { assemblyDir, templateJson } from '../support/assembly';

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string> };

describe.each(PHASE_NAMES)('phase %s Prometheus alert rules', (phase) => {
  const spec = PHASES[phase];
  const rules = (): Rule[] => (parse(renderAlertRules(spec.monitoring, spec.slo)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  test('carry the roadmap thresholds of the phase', () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
    expect(byName.ErrorRateAboveThreshold.expr).toMatch(new RegExp(`> ${spec.monitoring.errorRatePercent}$`));
    expect(byName.ResponseTimeAboveBaseline.expr).toMatch(new RegExp(`> ${(spec.monitoring.baselineResponseMs * 2) / 1000}$`));
    expect(byName.ServiceUnavailable.for).toBe('1m');
    expect(byName.DailyUsersNearCapacity.expr).toBe(`max(daily_active_users) > ${spec.slo.dailyUsers * 0.8}`);
  });

  test('alarm on the read model\'s lag exactly where the spec turns event sourcing on', () => {
    const lagging = rules().find((r) => r.alert === 'ReadModelLagging');
    const withLog = (parse(renderAlertRules(spec.monitoring, spec.slo, spec.compute.eventSourcing)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules).find((r) => r.alert === 'ReadModelLagging');
    expect(lagging).toBeUndefined();
    if (!spec.compute.eventSourcing) {
      expect(withLog).toBeUndefined();
      return;
    }
    expect(withLog).toMatchObject({ expr: `max by (database) (order_read_model_lag_seconds) > ${spec.compute.eventSourcing.readModelLagAlarmSeconds}`, for: '5m' });
  });

  test('are loaded into every region\'s Prometheus workspace', () => {
    for (const region of spec.regions) {
      const resources = Object.values(templateJson(phase, regionalStackName(region.region, 'telemetry')).Resources as Record<string, { Type: string; Properties: { Data: string } }>);
      const namespaces = resources.filter((r) => r.Type === 'AWS::APS::RuleGroupsNamespace');
      expect(namespaces.map((n) => n.Properties.Data)).toEqual([renderAlertRules(spec.monitoring, spec.slo, spec.compute.eventSourcing)]);
    }
  });
});

describe('Grafana dashboard and Prometheus rules against the services\' metrics', () => {
  const spec = PHASES['1m'];

  /** Metric names a PromQL text reads (identifiers directly before `{`, `[` or `)` that look like metrics). */
  function metricNames(promql: string): string[] {
    const names = promql.match(/\b[a-z_]+_(total|seconds|bytes|bucket|users|p99_seconds)\b|\bup\b/g) ?? [];
    return [...new Set(names.map((n) => n.replace(/_bucket$/, '')))];
  }

  test('every metric the rules and dashboard read is one the services expose', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Metrics } = require('../../../services/shared/metrics') as typeof import('../../../services/shared/metrics');
    const metrics = new Metrics('probe');
    // A process with Redis configured counts its visitors (services/shared/visitors.ts).
    metrics.watchDailyUsers(() => Promise.resolve(0));
    const exposed = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    exposed.add('up');
    const dashboard = JSON.stringify(grafanaDashboard(spec.monitoring, spec.slo, spec.regions.map((r) => r.region)));
    const used = [...metricNames(renderAlertRules(spec.monitoring, spec.slo, spec.compute.eventSourcing)), ...metricNames(dashboard)];
    const missing = [...new Set(used.filter((name) => !exposed.has(name)))].sort();
    expect(missing).toEqual([]);
  });

  test('the dashboard has the roadmap\'s four groups and draws the rollback thresholds', () => {
    const d = grafanaDashboard(spec.monitoring, spec.slo, ['us-east-1']) as { panels: { type: string; title: string; fieldConfig?: any }[] };
    expect(d.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(['Application', 'Database', 'Infrastructure', 'Business']);
    const threshold = (title: string) => d.panels.find((p) => p.title.startsWith(title))!.fieldConfig.defaults.thresholds.steps[1].value;
    expect(threshold('Error rate')).toBe(1);
    expect(threshold('Response time')).toBe(1);
    expect(threshold('Replication lag')).toBe(5);
    expect(threshold('PostgreSQL CPU')).toBe(70);
    expect(threshold('Daily users')).toBe(800_000);
  });

  test('is written beside the templates of the primary region\'s assembly for import', () => {
    const file = path.join(assemblyDir(), '1m', GRAFANA_DIR, 'order-platform.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(grafanaDashboard(spec.monitoring, spec.slo, spec.regions.map((r) => r.region)));
  });
});
