import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PhaseSpec, RegionSpec } from '../../phases';
import { Cache } from '../constructs/cache';
import { DocumentDb } from '../constructs/documentdb';
import { DataKeys } from '../constructs/keys';
import { Network } from '../constructs/network';
import { PostgresFleet } from '../constructs/postgres';
import { Streaming } from '../constructs/streaming';

/** Props for {@link DataStack}. */
export interface DataStackProps extends StackProps {
  readonly spec: PhaseSpec;
  readonly region: RegionSpec;
  readonly network: Network;
}

/**
 * A region's stateful layer, apart from everything stateless and termination-protected: KMS
 * keys, cache and Kafka in every region; PostgreSQL and DocumentDB in the primary region.
 * Cross-region replication (replicas, Global Datastore, MirrorMaker) attaches to the
 * resources exposed here.
 */
export class DataStack extends Stack {
  readonly keys: DataKeys;
  readonly postgres?: PostgresFleet;
  readonly documentDb?: DocumentDb;
  readonly cache: Cache;
  readonly streaming: Streaming;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { spec, network } = props;
    const vpc = network.vpc;
    const clients = network.appTier;

    this.keys = new DataKeys(this, 'Keys');
    if (props.region.primary) {
      this.postgres = new PostgresFleet(this, 'Postgres', { spec: spec.postgres, vpc, clients, key: this.keys.key('Postgres') });
      this.documentDb = new DocumentDb(this, 'DocumentDb', {
        spec: spec.documentDb,
        vpc,
        clients,
        key: this.keys.key('DocumentDb'),
        rotationDays: spec.postgres.secretRotationDays,
      });
    }
    this.cache = new Cache(this, 'Cache', { spec: spec.cache, vpc, clients, key: this.keys.key('Cache'), logKey: this.keys.key('Logs') });
    this.streaming = new Streaming(this, 'Streaming', {
      spec: spec.streaming,
      vpc,
      clients,
      key: this.keys.key('Streaming'),
      logKey: this.keys.key('Logs'),
    });
  }
}
