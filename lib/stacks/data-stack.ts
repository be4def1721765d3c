import { CfnResource, Stack, StackProps } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import { Construct } from 'constructs';
import { FailoverTargets, publishFailoverTargets } from '../failover/targets';
import { replicateSecrets } from '../constructs/secret-replicas';
import { PhaseSpec, RegionSpec } from '../../phases';
import { Cache, CACHE_PORT, CacheMembership } from '../constructs/cache';
import { CATALOG_GLOBAL_CLUSTER, DocumentDb } from '../constructs/documentdb';
import { DocumentDbSecondary } from '../constructs/documentdb-secondary';
import { oneAtATime } from '../constructs/data-store';
import { acknowledgeLogRetentionHandler } from '../constructs/log-retention';
import { DataKeys } from '../constructs/keys';
import { Network } from '../constructs/network';
import { admitRemoteAppTier } from '../constructs/peering';
import { PostgresFleet } from '../constructs/postgres';
import { PostgresRegionalReplicas, fleetInstances } from '../constructs/postgres-replicas';
import { MSK_IAM_TLS_PORT, Streaming } from '../constructs/streaming';

/** The instance resource itself: a dependency on the construct would also wait for its secret rotation. */
function resourceOf(instance: rds.IDatabaseInstance): CfnResource {
  return instance.node.defaultChild as CfnResource;
}

/** Props for {@link DataStack}. */
export interface DataStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly network: Network;
  /**
   * For every region but the origin (the first): the origin's data stack, where the stores were
   * created: the source of the replicas here and the primary member of the global catalogue and cache.
   */
  readonly origin?: DataStack;
  /**
   * For the primary region of a multi-region phase: the secondary regions' networks. Their app
   * tiers reach this region's cache (the daily-visitor counts go home) and Kafka (MirrorMaker 2
   * reads the topics it copies).
   */
  readonly remoteAppTiers?: readonly Network[];
}

/** The members of a region's stores that rejoined after a failover (lib/stacks/rejoin-stack.ts). */
export interface RejoinedMembers {
  readonly postgresReplicas: PostgresRegionalReplicas;
  readonly documentDbSecondary?: DocumentDbSecondary;
  readonly cache?: Cache;
}

/**
 * A region's stateful layer, apart from everything stateless and termination-protected: KMS
 * keys, cache and Kafka in every region. The origin region (the first) holds the PostgreSQL fleet
 * and DocumentDB cluster; every other region holds a cross-region read replica of every
 * PostgreSQL instance, a DocumentDB global-cluster secondary and a Global Datastore secondary.
 * After a failover moved the writes to another region (`spec.homeRegion`), that region's replicas
 * are promoted in place, and the members that follow the new home live in the region's rejoin
 * stack, which hands them to this stack ({@link rejoined}); the origin's old stores stay, out of
 * service, until their last writes are reconciled.
 */
export class DataStack extends Stack {
  readonly keys: DataKeys;
  /** The writable PostgreSQL fleet (primary region). */
  readonly postgres?: PostgresFleet;
  /** Cross-region replicas of the home region's writable instances, or those promoted by a failover. */
  postgresReplicas?: PostgresRegionalReplicas;
  /** The catalogue cluster (primary region). */
  readonly documentDb?: DocumentDb;
  /** The catalogue's global-cluster secondary (secondary region). */
  documentDbSecondary?: DocumentDbSecondary;
  /** The cache the region's services use. */
  cache: Cache;
  readonly streaming: Streaming;
  /** In a secondary region: what a failover to it promotes (lib/failover). */
  readonly failoverTargets?: FailoverTargets;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { spec, network, origin } = props;
    const vpc = network.vpc;
    const clients = network.appTier;
    const multiRegion = spec.regions.length > 1;

    this.keys = new DataKeys(this, 'Keys');
    let membership: CacheMembership = { kind: 'standalone' };
    const isOrigin = props.region.region === spec.regions[0].region;
    if (isOrigin) {
      this.postgres = new PostgresFleet(this, 'Postgres', { spec: spec.postgres, vpc, clients, key: this.keys.key('Postgres') });
      this.documentDb = new DocumentDb(this, 'DocumentDb', {
        spec: spec.documentDb,
        vpc,
        clients,
        key: this.keys.key('DocumentDb'),
        rotationDays: spec.postgres.secretRotationDays,
        globalClusterIdentifier: multiRegion ? CATALOG_GLOBAL_CLUSTER : undefined,
      });
      if (spec.cache.globalDatastore) membership = { kind: 'global-primary' };
    } else {
      if (!origin?.postgres || !origin.documentDb) throw new Error(`DataStack ${id}: a region other than the origin needs the origin's data stack`);
      const promoted = spec.homeRegion === props.region.region;
      this.postgresReplicas = new PostgresRegionalReplicas(this, 'PostgresReplicas', {
        spec: spec.postgres,
        source: promoted ? { kind: 'promoted', formerSourceRegion: origin.region } : { kind: 'replicating', instances: fleetInstances(origin.postgres) },
        vpc,
        clients,
        key: this.keys.key('Postgres'),
      });
      this.documentDbSecondary = new DocumentDbSecondary(this, 'DocumentDbSecondary', {
        spec: spec.documentDb,
        primary: origin.documentDb,
        vpc,
        clients,
        key: this.keys.key('DocumentDb'),
      });
      membership = { kind: 'global-secondary', primary: origin.cache };
    }
    this.cache = new Cache(this, 'Cache', { spec: spec.cache, vpc, clients, key: this.keys.key('Cache'), logKey: this.keys.key('Logs'), membership });
    this.streaming = new Streaming(this, 'Streaming', {
      spec: spec.streaming,
      vpc,
      clients,
      key: this.keys.key('Streaming'),
      logKey: this.keys.key('Logs'),
    });

    // Instance changes of one kind roll through the fleet one instance at a time.
    if (this.postgres) {
      const databases = [...this.postgres.databases.values()];
      oneAtATime(databases.map((db) => resourceOf(db.instance)));
      oneAtATime(databases.flatMap((db) => db.replicas.map(resourceOf)));
    }
    if (this.postgresReplicas) oneAtATime([...this.postgresReplicas.replicas.values()].map(resourceOf));
    if (this.documentDb) oneAtATime(this.documentDb.cluster.node.findAll().filter((c) => c instanceof docdb.CfnDBInstance));
    if (this.documentDbSecondary) oneAtATime(this.documentDbSecondary.instances);

    acknowledgeLogRetentionHandler(this);
    // What a failover promotes; after one, the region it moved the writes to is home and no failover is prepared.
    if (!isOrigin && spec.homeRegion === undefined) this.failoverTargets = publishFailoverTargets(this, this);
    // The secrets the services read, replicated to every other region (lib/constructs/secret-replicas.ts).
    if (isOrigin) {
      const secondaries = spec.regions.filter((r) => r.region !== props.region.region).map((r) => r.region);
      replicateSecrets(
        [
          ...[...(this.postgres?.databases.values() ?? [])].flatMap((db) => (db.instance.secret ? [db.instance.secret, db.appSecret] : [db.appSecret])),
          ...(this.documentDb?.cluster.secret ? [this.documentDb.cluster.secret] : []),
          this.cache.authToken,
        ],
        secondaries,
      );
    }

    const remotes = props.remoteAppTiers ?? [];
    if (remotes.length > 0) {
      admitRemoteAppTier(this.cache.securityGroup, remotes, CACHE_PORT, 'Daily-visitor counts');
      admitRemoteAppTier(this.streaming.securityGroup, remotes, MSK_IAM_TLS_PORT, 'MirrorMaker 2');
    }
  }

  /**
   * Takes the members the region's rejoin stack built after a failover: from then on the region's
   * services, alarms and reviews use them (its original stores are kept, out of service).
   */
  rejoined(members: RejoinedMembers): void {
    this.postgresReplicas = members.postgresReplicas;
    if (members.documentDbSecondary) this.documentDbSecondary = members.documentDbSecondary;
    if (members.cache) this.cache = members.cache;
  }
}
