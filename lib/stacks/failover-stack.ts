import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { PromotionMachine } from '../failover/state-machine';
import { DataStack } from './data-stack';

/** Props for {@link FailoverStack}. */
export interface FailoverStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  /** This region's data stack: the replicas and members a failover promotes. */
  readonly data: DataStack;
}

/**
 * A secondary region's failover orchestration (lib/failover): the Step Functions machine that
 * makes the region the primary, or points it at a new one. Stateless, apart from the data.
 */
export class FailoverStack extends Stack {
  readonly machine: PromotionMachine;

  constructor(scope: Construct, id: string, props: FailoverStackProps) {
    super(scope, id, props);
    const targets = props.data.failoverTargets;
    if (!targets) throw new Error(`FailoverStack ${id}: ${props.region.region} is not a secondary region`);
    this.machine = new PromotionMachine(this, 'Promotion', { spec: props.spec, region: props.region.region, targets, logKey: props.data.keys.key('Logs') });
  }
}
