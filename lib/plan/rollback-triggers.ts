import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { MonitoringSpec } from '../../phases';
import { deploymentTemplates } from '../review/reachability';

/** One of the roadmap's reasons to roll back, and the alarms that watch it. */
export interface RollbackTrigger {
  /** The roadmap's words with the phase's threshold, e.g. `error rate > 1%`. */
  readonly trigger: string;
  /** The alarms, by region: their construct IDs, as the README's alarm table names them. */
  readonly alarms: readonly { readonly region: string; readonly names: readonly string[] }[];
}

/** The roadmap's four rollback triggers, each recognised by its alarms' construct IDs. */
const TRIGGERS: readonly { readonly match: RegExp; readonly trigger: (m: MonitoringSpec) => string }[] = [
  { match: /ErrorRate$/, trigger: (m) => `error rate > ${m.errorRatePercent}%` },
  { match: /ResponseTime$/, trigger: (m) => `response time > ${m.responseTimeFactor}× baseline (${m.baselineResponseMs * m.responseTimeFactor} ms)` },
  { match: /(Lag|ReplicaDelay)$/, trigger: (m) => `replication lag > ${m.replicationLagSeconds} s` },
  { match: /Unavailable$/, trigger: (m) => `service unavailable > ${m.unavailableSeconds / 60} minute(s)` },
];

/**
 * The rollback alarms of the assemblies given (the move's starting phase and its target, whose
 * alarms are all present during a side-by-side move): CloudWatch alarms whose description starts
 * with `Rollback:`, grouped by the roadmap's trigger and by region.
 */
export function rollbackTriggers(assemblies: readonly CloudAssembly[], monitoring: MonitoringSpec): RollbackTrigger[] {
  const found = new Map<string, Map<string, Set<string>>>();
  for (const assembly of assemblies) {
    for (const stack of deploymentTemplates(assembly).stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        const description = resource.Properties?.AlarmDescription;
        if (resource.Type !== 'AWS::CloudWatch::Alarm' || typeof description !== 'string' || !description.startsWith('Rollback:')) continue;
        const parts = (stack.paths?.get(logicalId) ?? logicalId).split('/');
        const name = parts[parts.length - 1] === 'Resource' ? parts[parts.length - 2] : parts[parts.length - 1];
        const kind = TRIGGERS.find((t) => t.match.test(name));
        if (!kind) continue;
        const trigger = kind.trigger(monitoring);
        const byRegion = found.get(trigger) ?? new Map<string, Set<string>>();
        found.set(trigger, byRegion.set(stack.region, (byRegion.get(stack.region) ?? new Set()).add(name)));
      }
    }
  }
  return TRIGGERS.map((t) => t.trigger(monitoring)).flatMap((trigger) => {
    const byRegion = found.get(trigger);
    return byRegion ? [{ trigger, alarms: [...byRegion].map(([region, names]) => ({ region, names: [...names].sort() })) }] : [];
  });
}
