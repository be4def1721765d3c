import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { NodeGroupSpec } from '../../phases';

/**
 * The node label (and, on spot nodes, the taint key) that says which capacity a node is:
 * `on_demand` or `spot`. Both come from the node group, so they are on a node from its first
 * moment, before any pod is scheduled.
 */
export const CAPACITY_LABEL = 'orders.platform/capacity';

/** The label value of a node group's nodes. */
export function capacityValue(capacityType: NodeGroupSpec['capacityType']): string {
  return capacityType.toLowerCase();
}

/** The node selector that keeps a workload on the on-demand nodes. */
export const ON_DEMAND_SELECTOR: Readonly<Record<string, string>> = { [CAPACITY_LABEL]: capacityValue('ON_DEMAND') };

/**
 * The taint (`NoSchedule`) on every spot node: pods that do not tolerate it are never scheduled there (the
 * cluster's add-ons, the services on a customer's path, the schema and topic Jobs). EKS's own
 * DaemonSets (VPC CNI, kube-proxy, Pod Identity agent) tolerate every taint.
 */
export const SPOT_TAINT = { key: CAPACITY_LABEL, value: capacityValue('SPOT') } as const;

/** The notice EC2 gives before it reclaims a spot instance, in seconds. */
export const SPOT_NOTICE_SECONDS = 120;

/**
 * Places a Deployment's or a Job's pods on spot nodes: they tolerate the spot taint and prefer
 * nodes labelled spot, without requiring them, so that they still run on the on-demand nodes when
 * spot capacity is short. A Job's pod that a reclaim evicts or deletes is not counted as a failure
 * (its pod failure policy ignores `DisruptionTarget`): the Job starts another and keeps its retries
 * for real failures.
 */
export function placeOnSpot(workload: kplus.Deployment | kplus.Job): void {
  workload.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.is(SPOT_TAINT.key, SPOT_TAINT.value, { effect: kplus.TaintEffect.NO_SCHEDULE })));
  workload.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is(CAPACITY_LABEL, SPOT_TAINT.value)), { weight: 100 });
  if (workload instanceof kplus.Job) {
    ApiObject.of(workload).addJsonPatch(JsonPatch.add('/spec/podFailurePolicy', { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] }));
  }
}
