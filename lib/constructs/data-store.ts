import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What every data store construct receives: where it lives, who may connect, and its key. */
export interface DataStoreProps {
  readonly vpc: ec2.IVpc;
  /** The only group allowed to connect. */
  readonly clients: ec2.IConnectable;
  /** The customer-managed key for data at rest. */
  readonly key: kms.IKey;
}

/**
 * The security group of a data store: it admits only the clients, only on the store's port, and
 * opens nothing outbound. The description is create-only (a change replaces the group), so each
 * store passes its own literal one.
 */
export function storeSecurityGroup(
  scope: Construct,
  props: { readonly vpc: ec2.IVpc; readonly clients: ec2.IConnectable; readonly port: number; readonly description: string; readonly rule: string },
): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, 'SecurityGroup', { vpc: props.vpc, description: props.description, allowAllOutbound: false });
  group.connections.allowFrom(props.clients, ec2.Port.tcp(props.port), props.rule);
  return group;
}

/**
 * Makes CloudFormation create, modify and replace `resources` one after another, in the order
 * given, instead of all at once: a phase that resizes every database then restarts one instance at
 * a time, never all shards (or all replicas a region reads) together.
 */
export function oneAtATime(resources: readonly Construct[]): void {
  resources.forEach((resource, n) => {
    if (n > 0) resource.node.addDependency(resources[n - 1]);
  });
}
