import { CfnResource, Stack, StackProps } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { Cache } from '../constructs/cache';
import { oneAtATime } from '../constructs/data-store';
import { DocumentDbSecondary } from '../constructs/documentdb-secondary';
import { acknowledgeLogRetentionHandler } from '../constructs/log-retention';
import { Network } from '../constructs/network';
import { PostgresRegionalReplicas } from '../constructs/postgres-replicas';
import { DataStack } from './data-stack';

/** Props for {@link RejoinStack}. */
export interface RejoinStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly network: Network;
  /** This region's data stack: its keys, and (in the origin) the catalogue and cache that lead the global groups. */
  readonly data: DataStack;
  /** The data stack of the region a failover moved the writes to: its promoted instances are the replicas' sources. */
  readonly home: DataStack;
}

/**
 * After a regional failover (`spec.homeRegion`), the secondary members a region builds to follow
 * the new home, in a stack of their own: they read from the home region's data stack, which
 * itself reads the origin's global catalogue and cache, so in the data stack they would close a
 * cycle between the two regions.
 *
 * - In every secondary region: a cross-region read replica of every promoted PostgreSQL instance
 *   (a replica cannot change its source: these are new instances, copied in full from the home).
 *   A region's older replicas, whose source was lost, stay in its data stack until removed.
 * - In the origin, the region that was lost and came back: also a new member of the DocumentDB
 *   global cluster and of the cache's Global Datastore (each global group takes new, empty
 *   secondary clusters and copies the data into them). The origin's old fleet, catalogue cluster
 *   and cache stay in its data stack, out of service: they hold the writes the home never
 *   received, to be reconciled (README, "Bringing the old primary back").
 */
export class RejoinStack extends Stack {
  readonly postgresReplicas: PostgresRegionalReplicas;
  readonly documentDbSecondary?: DocumentDbSecondary;
  readonly cache?: Cache;

  constructor(scope: Construct, id: string, props: RejoinStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { spec, data, home } = props;
    const vpc = props.network.vpc;
    const clients = props.network.appTier;
    const promoted = home.postgresReplicas;
    if (!promoted) throw new Error(`RejoinStack ${id}: the home region ${home.region} has no promoted PostgreSQL instances`);

    this.postgresReplicas = new PostgresRegionalReplicas(this, 'PostgresReplicas', {
      spec: spec.postgres,
      source: { kind: 'replicating', instances: new Map([...promoted.replicas].map(([key, r]) => [key, r.node.defaultChild as rds.CfnDBInstance])) },
      vpc,
      clients,
      key: data.keys.key('Postgres'),
    });
    oneAtATime([...this.postgresReplicas.replicas.values()].map((r) => r.node.defaultChild as CfnResource));

    if (data.documentDb) {
      this.documentDbSecondary = new DocumentDbSecondary(this, 'DocumentDbSecondary', {
        spec: spec.documentDb,
        primary: data.documentDb,
        vpc,
        clients,
        key: data.keys.key('DocumentDb'),
      });
      oneAtATime(this.documentDbSecondary.instances);
      this.cache = new Cache(this, 'Cache', {
        spec: spec.cache,
        vpc,
        clients,
        key: data.keys.key('Cache'),
        logKey: data.keys.key('Logs'),
        membership: { kind: 'global-secondary', primary: data.cache },
      });
    }
    acknowledgeLogRetentionHandler(this);
    data.rejoined({ postgresReplicas: this.postgresReplicas, documentDbSecondary: this.documentDbSecondary, cache: this.cache });
  }
}
