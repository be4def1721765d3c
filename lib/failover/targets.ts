import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Cache } from '../constructs/cache';
import type { DocumentDbSecondary } from '../constructs/documentdb-secondary';
import type { PostgresRegionalReplicas } from '../constructs/postgres-replicas';

/** The output of a secondary region's data stack that names what a failover to it acts on. */
export const FAILOVER_TARGETS_OUTPUT = 'FailoverTargets';

/** What a failover to one region promotes: physical identifiers, read by the command from the stack output. */
export interface FailoverTargets {
  /** DB instance identifiers of the region's PostgreSQL replicas. */
  readonly postgres: readonly string[];
  /** The catalogue's global cluster and this region's member of it. */
  readonly documentDb: { readonly globalClusterIdentifier: string; readonly clusterIdentifier: string; readonly clusterArn: string };
  /** The cache's Global Datastore and this region's member of it. */
  readonly cache: { readonly globalReplicationGroupId: string; readonly replicationGroupId: string };
}

/** The data stores of a secondary region that a failover promotes. */
export interface FailoverSources {
  readonly postgresReplicas?: PostgresRegionalReplicas;
  readonly documentDbSecondary?: DocumentDbSecondary;
  readonly cache: Cache;
}

/**
 * The failover targets of a secondary region's data stores, published as a stack output (JSON),
 * so that the failover command finds them with one DescribeStacks call in the surviving region.
 */
export function publishFailoverTargets(scope: Construct, data: FailoverSources): FailoverTargets {
  const stack = Stack.of(scope);
  const replicas = data.postgresReplicas;
  const docdb = data.documentDbSecondary;
  const cacheGlobal = data.cache.replicationGroup.globalReplicationGroupId;
  if (!replicas || !docdb || !cacheGlobal) throw new Error(`${stack.stackName}: a failover target needs PostgreSQL replicas, a DocumentDB secondary and a Global Datastore member`);
  const targets: FailoverTargets = {
    postgres: [...replicas.replicas.values()].map((r) => r.instanceIdentifier),
    documentDb: {
      globalClusterIdentifier: docdb.cluster.globalClusterIdentifier!,
      clusterIdentifier: docdb.cluster.ref,
      clusterArn: stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: docdb.cluster.ref, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    },
    cache: { globalReplicationGroupId: cacheGlobal, replicationGroupId: data.cache.replicationGroup.ref },
  };
  new CfnOutput(scope, FAILOVER_TARGETS_OUTPUT, {
    key: FAILOVER_TARGETS_OUTPUT,
    description: 'What npm run failover promotes in this region (JSON)',
    value: stack.toJsonString(targets),
  });
  return targets;
}
