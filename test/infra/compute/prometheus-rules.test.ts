import { parse } from 'yaml';
import { PHASES, PHASE_NAMES } from '../../../phases';
import { renderAlertRules } from '../../../lib/monitoring/prometheus-rules';
import { regionalStackName } from '../../../lib/naming';
import { templateJson } from '../support/assembly';

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string> };

describe.each(PHASE_NAMES)('phase %s Prometheus alert rules', (phase) => {
  const spec = PHASES[phase];
  const rules = (): Rule[] => (parse(renderAlertRules(spec.monitoring, spec.slo)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  test('carry the roadmap thresholds of the phase', () => {
    const byName = Object.fromEntries(rules().map((r) => [r.alert, r]));
    expect(byName.ErrorRateAboveThreshold!.expr).toMatch(new RegExp(`> ${spec.monitoring.errorRatePercent}$`));
    expect(byName.ResponseTimeAboveBaseline!.expr).toMatch(new RegExp(`> ${(spec.monitoring.baselineResponseMs * 2) / 1000}$`));
    expect(byName.ServiceUnavailable!.for).toBe('1m');
    expect(byName.DailyUsersNearCapacity!.expr).toBe(`max(daily_active_users) > ${spec.slo.dailyUsers * 0.8}`);
  });

  test('are loaded into every region\'s Prometheus workspace', () => {
    for (const region of spec.regions) {
      const resources = Object.values(templateJson(phase, regionalStackName(region.region, 'telemetry')).Resources as Record<string, { Type: string; Properties: { Data: string } }>);
      const namespaces = resources.filter((r) => r.Type === 'AWS::APS::RuleGroupsNamespace');
      expect(namespaces.map((n) => n.Properties.Data)).toEqual([renderAlertRules(spec.monitoring, spec.slo)]);
    }
  });
});
