import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RegionSpec } from '../../phases';
import { Network } from '../constructs/network';

/** Props for {@link NetworkStack}. */
export interface NetworkStackProps extends StackProps {
  readonly region: RegionSpec;
}

/** A region's network. Termination-protected: the VPC and its subnets outlive every phase. */
export class NetworkStack extends Stack {
  readonly network: Network;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    this.network = new Network(this, 'Network', { region: props.region });
  }
}
