import { Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import type { ServiceVariable } from '../../services/shared/config';
import { PhaseSpec, PostgresInstanceSpec, RegionName, ServiceName } from '../../phases';
import { readReplicasStatement } from '../constructs/secret-replicas';
import { HOME_POLL_SECONDS, HOME_REGION_PARAMETER, homePointerRegion } from '../failover/plan';
import { FLAGS_SOURCE, flagReaderResource } from '../flags/feature-flags';
import { Cache } from '../constructs/cache';
import { ADMIN_USERNAME as DOCDB_ADMIN_USERNAME, DOCUMENTDB_PORT, DocumentDb } from '../constructs/documentdb';
import { DocumentDbSecondary } from '../constructs/documentdb-secondary';
import { POSTGRES_PORT, PostgresFleet } from '../constructs/postgres';
import { PostgresRegionalReplicas } from '../constructs/postgres-replicas';
import { Streaming } from '../constructs/streaming';
import { acknowledge } from '../nag';
import { BUSINESS_NAMESPACE } from '../monitoring/alarms';
import { SERVICE_PORT } from './routes';

/**
 * The services' environment, typed by their configuration schema (services/shared/config.ts):
 * a misspelt or unknown variable fails the type check.
 */
export type ServiceEnvironment = { [K in ServiceVariable]?: string };

/** Props for {@link AppEnvironment}. */
export interface AppEnvironmentProps {
  readonly spec: PhaseSpec;
  /** This region's data stores: cache and Kafka, and in a secondary region the replicas read here. */
  readonly data: RegionalDataStores;
  /** The PostgreSQL and DocumentDB of the origin region, where their secrets are made (and replicated elsewhere). */
  readonly databases: WritableDatabases;
  /**
   * For a secondary region: where its services send writes (the primary region's internal load
   * balancer) and count visitors (the primary region's cache). Reads stay in this region.
   */
  readonly home?: HomeRegion;
  /**
   * In a multi-region phase, the internal API of every region listed before this one: where its
   * services send writes if a failover makes one of them the home region (lib/failover).
   */
  readonly earlierRegions?: ReadonlyArray<{ readonly region: RegionName; readonly apiUrl: string }>;
}

/** What the environment reads of a region's data stores (a region's data stack has them). */
export interface RegionalDataStores {
  readonly cache: Cache;
  readonly streaming: Streaming;
  /** In a secondary region: the cross-region replicas of the primary's PostgreSQL instances. */
  readonly postgresReplicas?: PostgresRegionalReplicas;
  /** In a secondary region: the catalogue's global-cluster secondary. */
  readonly documentDbSecondary?: DocumentDbSecondary;
}

/** What the environment reads of the databases of the origin region (its data stack has them). */
export interface WritableDatabases {
  readonly postgres?: PostgresFleet;
  readonly documentDb?: DocumentDb;
}

/** What a secondary region's services reach in the primary region. */
export interface HomeRegion {
  /** Base URL of the primary region's internal service load balancer. */
  readonly apiUrl: string;
  /** The primary region's cache, where the daily-visitor HyperLogLogs are written. */
  readonly cache: Cache;
}

/** Where one database is read in this region: the writable primary, or a cross-region replica. */
interface LocalDatabase {
  readonly spec: PostgresInstanceSpec;
  readonly address: string;
  /** Same-region read replicas (primary region only). */
  readonly replicaAddresses: readonly string[];
  /** The master user's secret: the schema tool's login. */
  readonly secret?: secretsmanager.ISecret;
  /** The services' login, read by the services at run time (alternating-users rotation). */
  readonly appSecret: secretsmanager.ISecret;
}

/** A secret a process reads at start, by the name its placeholder uses. */
export interface NamedSecret {
  readonly name: string;
  readonly secret: secretsmanager.ISecret;
}

/** The Kafka cluster name every region uses (lib/constructs/streaming.ts). */
export const KAFKA_CLUSTER_NAME = 'orders-events';

/** Topic and group ARNs of the region's Kafka cluster: every topic and group in it. */
function kafkaWildcards(stack: Stack): [topics: string, groups: string] {
  const arn = (kind: string) => `arn:${stack.partition}:kafka:${stack.region}:${stack.account}:${kind}/${KAFKA_CLUSTER_NAME}/*`;
  return [arn('topic'), arn('group')];
}

function placeholder(name: string, field: string): string {
  return `{{secret:${name}:${field}}}`;
}

/**
 * The services' environment, wired from the data stacks: PostgreSQL primaries, replicas and
 * shards, DocumentDB, the cache's configuration endpoint and MSK's IAM bootstrap brokers.
 *
 * Passwords never enter a template: a URL holds `{{secret:NAME:FIELD}}` and the launcher
 * (lib/compute/runtime/launch.js) fills it from the secret written to disk before start.
 * Variable names are the ones services/shared/config.ts declares.
 */
export class AppEnvironment extends Construct {
  /** The secrets a process reads at start. */
  readonly secrets: readonly NamedSecret[];
  /** The services' database logins, which the processes read at run time (Secrets Manager, by ARN). */
  readonly databaseLogins: readonly NamedSecret[];
  /** Kafka cluster ARN, for IAM policies. */
  readonly kafkaClusterArn: string;
  /** The region's MSK bootstrap brokers (TLS, IAM), read at deploy time. */
  readonly kafkaBootstrapBrokers: string;
  private readonly common: ServiceEnvironment;
  /** In a secondary region, the stack whose secrets the services read as replicas here. */
  private readonly replicasOf?: string;
  /** The home-region parameter the services poll, in a multi-region phase. */
  readonly homeParameterArn?: string;

  constructor(scope: Construct, id: string, props: AppEnvironmentProps) {
    super(scope, id);
    const { spec, data, databases } = props;
    const secrets: NamedSecret[] = [];
    const env: ServiceEnvironment = {
      PORT: String(SERVICE_PORT),
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
    };

    const fleet = databases.postgres;
    if (!fleet) throw new Error('AppEnvironment: the databases stack has no PostgreSQL fleet (it must be the primary region\'s data stack)');
    const secondary = props.home !== undefined;
    // The origin region serves from its fleet until a failover; every other region, and the
    // origin once it rejoined as a secondary, from its own replicas (promoted in the home region).
    const ownReplicas = data.postgresReplicas;
    const local = (instance: PostgresInstanceSpec): LocalDatabase => {
      const db = fleet.databases.get(instance.id);
      if (!db) throw new Error(`AppEnvironment: no PostgreSQL instance ${instance.id}`);
      if (!ownReplicas) {
        return {
          spec: instance,
          address: db.instance.dbInstanceEndpointAddress,
          replicaAddresses: db.replicas.map((r) => r.dbInstanceEndpointAddress),
          secret: db.instance.secret,
          appSecret: db.appSecret,
        };
      }
      const replica = ownReplicas.replicas.get(instance.id);
      if (!replica) throw new Error(`AppEnvironment: this region has no replica of ${instance.id}`);
      return {
        spec: instance,
        address: replica.dbInstanceEndpointAddress,
        replicaAddresses: [],
        secret: db.instance.secret,
        appSecret: db.appSecret,
      };
    };
    // The URL's user and password (the master's, filled at start) are the schema tool's; the
    // services log in with the `credentials` secret, read at run time (services/shared/credentials.ts).
    const url = (db: LocalDatabase, host: string): string => {
      const name = `pg-${db.spec.id}`;
      return (
        `postgresql://${placeholder(name, 'username')}:${placeholder(name, 'password')}@${host}:${POSTGRES_PORT}/${db.spec.databaseName}` +
        `?sslmode=verify-full&credentials=${db.appSecret.secretArn}`
      );
    };
    const logins: NamedSecret[] = [];
    for (const instance of spec.postgres.instances) {
      const db = local(instance);
      // The credentials are the primary's: the users replicate with the data, and a secondary
      // region reads the primary's secrets in the primary's region.
      if (db.secret) secrets.push({ name: `pg-${instance.id}`, secret: db.secret });
      logins.push({ name: `pg-${instance.id}-app`, secret: db.appSecret });
    }
    const byRole = (role: 'users' | 'orders' | 'inventory') =>
      spec.postgres.instances.filter((i) => i.role === role).sort((a, b) => (a.shardIndex ?? 0) - (b.shardIndex ?? 0)).map(local);
    const [users] = byRole('users');
    const [inventory] = byRole('inventory');
    const shards = byRole('orders');
    const [orders] = shards;
    env.USERS_DB_URL = url(users, users.address);
    env.INVENTORY_DB_URL = url(inventory, inventory.address);
    env.ORDERS_DB_URL = url(orders, orders.address);
    const replicas = (db: LocalDatabase) => db.replicaAddresses.map((address) => url(db, address)).join(',');
    const anyReplica = [users, inventory, orders].some((db) => db.replicaAddresses.length > 0);
    env.READ_REPLICAS = String(anyReplica);
    if (anyReplica) {
      env.USERS_DB_REPLICA_URLS = replicas(users);
      env.INVENTORY_DB_REPLICA_URLS = replicas(inventory);
      env.ORDERS_DB_REPLICA_URLS = replicas(orders);
    }
    env.SHARDING = String(shards.length > 1);
    env.ORDER_BUCKETS = String(spec.postgres.orderBuckets);
    if (shards.length > 1) env.ORDER_SHARD_URLS = shards.map((s) => url(s, s.address)).join(',');
    env.DB_POOL_MAX = '10';
    // Every region: a secondary serves order reads from its replica of the projection.
    if (spec.compute.eventSourcing) env.EVENT_SOURCING = 'true';
    if (spec.cache.inProcess) {
      env.LOCAL_CACHE_ENTRIES = String(spec.cache.inProcess.entries);
      env.LOCAL_CACHE_TTL_MS = String(spec.cache.inProcess.ttlMs);
    }

    const docdb = databases.documentDb;
    if (docdb?.cluster.secret) {
      secrets.push({ name: 'docdb', secret: docdb.cluster.secret });
      env.CATALOG_STORE = 'mongo';
      const address = data !== databases || secondary ? data.documentDbSecondary?.socketAddress : docdb.cluster.clusterEndpoint.socketAddress;
      if (!address) throw new Error('AppEnvironment: this region has no member of the DocumentDB global cluster');
      env.MONGO_URL =
        `mongodb://${placeholder('docdb', 'username')}:${placeholder('docdb', 'password')}@${address}` +
        '/?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false';
      env.MONGO_DB = 'catalog';
    }
    // The order activity, sharded in the elastic cluster; only the primary region has one (no
    // global clusters), so a secondary forwards its reads home. The password is read at run time.
    const elastic = docdb?.elasticCluster;
    if (elastic && docdb.elasticAdminSecret && !secondary && data === databases) {
      logins.push({ name: 'docdb-elastic', secret: docdb.elasticAdminSecret });
      env.ORDER_ACTIVITY = 'true';
      env.ANALYTICS_MONGO_URL =
        `mongodb://${DOCDB_ADMIN_USERNAME}@${elastic.attrClusterEndpoint}:${DOCUMENTDB_PORT}` +
        `/?tls=true&retryWrites=false&credentials=${docdb.elasticAdminSecret.secretArn}`;
      env.ANALYTICS_MONGO_DB = 'analytics';
      env.ANALYTICS_MONGO_SHARDED = 'true';
    }

    const cache = data.cache.replicationGroup;
    env.CACHE = 'true';
    env.REDIS_TLS = 'true';
    env.REDIS_CLUSTER_NODES = `${cache.attrConfigurationEndPointAddress}:${cache.attrConfigurationEndPointPort}`;
    secrets.push({ name: 'cache-auth', secret: data.cache.authToken });
    // The whole secret string; the token has no punctuation, so the launcher's URL-encoding leaves it as it is.
    env.REDIS_PASSWORD = '{{secret:cache-auth}}';

    this.kafkaClusterArn = data.streaming.cluster.attrArn;
    const brokers = new cr.AwsCustomResource(this, 'KafkaBootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.kafkaClusterArn },
        physicalResourceId: cr.PhysicalResourceId.of('kafka-bootstrap-brokers'),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.kafkaClusterArn] }),
      installLatestAwsSdk: false,
    });
    this.kafkaBootstrapBrokers = brokers.getResponseField('BootstrapBrokerStringSaslIam');
    env.KAFKA_BROKERS = this.kafkaBootstrapBrokers;
    // The custom resource's function is a singleton at the stack's root: the construct its role belongs to.
    const provider = (brokers.grantPrincipal as Partial<IConstruct>).node?.scope;
    if (!provider) throw new Error(`${brokers.node.path}: the custom resource's function has no role in this app`);
    acknowledge(
      provider,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The function that reads the MSK bootstrap brokers at deploy time only writes its own CloudWatch logs with this AWS-managed policy; its one API permission is kafka:GetBootstrapBrokers on this cluster.',
    );
    env.KAFKA_SSL = 'true';
    env.KAFKA_SASL_MECHANISM = 'aws-iam';
    env.AWS_REGION = Stack.of(this).region;
    // The business metrics the capacity alarm and the dashboard read (PutMetricData is allowed for this namespace only).
    env.CLOUDWATCH_NAMESPACE = BUSINESS_NAMESPACE;
    env.KAFKA_CLIENT_ID = 'order-platform';
    env.KAFKA_TOPIC_PARTITIONS = String(Math.max(...spec.streaming.topics.map((t) => t.partitions)));
    env.KAFKA_REPLICATION_FACTOR = String(Math.max(...spec.streaming.topics.map((t) => t.replicationFactor)));
    // The region's feature flags (AppConfig, in the monitoring stack); until they are deployed the services use the definitions' values.
    env.FLAGS_SOURCE = FLAGS_SOURCE;
    env.FLAGS_POLL_MS = String(spec.flags.pollSeconds * 1000);

    if (spec.regions.length > 1) {
      env.REGION_ROLE = secondary ? 'secondary' : 'primary';
      // The home region as deployed, until a failover names another in the phase's one pointer,
      // kept in the failover region (lib/failover/plan.ts).
      const pointerRegion = homePointerRegion(spec)!;
      env.HOME_REGION_SOURCE = `ssm:${pointerRegion}:${HOME_REGION_PARAMETER}`;
      env.HOME_REGION_POLL_MS = String(HOME_POLL_SECONDS * 1000);
      const earlier = props.earlierRegions ?? [];
      if (earlier.length > 0) env.REGION_API_URLS = earlier.map((r) => `${r.region}=${r.apiUrl}`).join(',');
      this.homeParameterArn = Stack.of(this).formatArn({ service: 'ssm', region: pointerRegion, resource: 'parameter', resourceName: HOME_REGION_PARAMETER.slice(1) });
    }
    if (props.home) {
      // Writes and visitor counts go home; the outbox relay and the saga run only where orders are written.
      env.HOME_API_URL = props.home.apiUrl;
      const homeCache = props.home.cache.replicationGroup;
      env.HOME_REDIS_CLUSTER_NODES = `${homeCache.attrConfigurationEndPointAddress}:${homeCache.attrConfigurationEndPointPort}`;
      // RELAY and CONSUMERS are left to the role's defaults (off in a secondary), so that a region
      // promoted by a failover runs the relay and the saga once its services restart as primary.
    }
    if (props.home || data !== databases) {
      // The secrets live in the origin region and are replicated here: read this region's copies,
      // so that credentials keep working, and processes keep starting, while another region is lost.
      env.SECRETS_REGION = Stack.of(this).region;
    }
    this.replicasOf = data !== databases ? Stack.of(fleet).stackName : undefined;

    this.secrets = secrets;
    this.databaseLogins = logins;
    this.common = env;
  }

  /**
   * The environment of one process. `serviceUrls` tells a service where the services it calls
   * are; `overrides` sets process-specific values (HOST behind Nginx, RELAY, CONSUMERS).
   */
  variables(serviceUrls: Partial<Record<ServiceName, string>> = {}, overrides: ServiceEnvironment = {}): ServiceEnvironment {
    const urls = Object.entries(serviceUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    return { ...this.common, ...(urls ? { SERVICE_URLS: urls } : {}), ...overrides };
  }

  /** `name=arn name=arn ...`, the SECRET_ARNS value fetch-secrets.sh reads. */
  get secretArns(): string {
    return Fn.join(' ', this.secrets.map((s) => Fn.join('=', [s.name, s.secret.secretArn])));
  }

  /**
   * Lets a role read the start-up secrets and the database logins and use Kafka as a client:
   * connect, read and write the domain topics, join consumer groups; `admin` also creates and grows topics.
   */
  grantRuntime(role: iam.IRole, options: { admin?: boolean } = {}): void {
    const stack = Stack.of(this);
    const readable = [...this.secrets, ...this.databaseLogins];
    // Written as the role's own policy: a grant through the secrets would add the role to the
    // data stacks' key policies, making the data stacks depend on compute.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: readable.map((s) => s.secret.secretArn),
      }),
    );
    if (this.replicasOf) role.addToPrincipalPolicy(readReplicasStatement(this, this.replicasOf));
    const keys = [...new Set(readable.map((s) => s.secret.encryptionKey?.keyArn).filter((k): k is string => k !== undefined))];
    if (keys.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: keys,
          // Any region's Secrets Manager: a secondary region reads the primary region's database secrets.
          conditions: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
        }),
      );
    }
    if (this.homeParameterArn) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.homeParameterArn] }));
    }
    const [topics, groups] = kafkaWildcards(stack);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        resources: [this.kafkaClusterArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:ReadData',
          'kafka-cluster:WriteData',
          ...(options.admin ? ['kafka-cluster:CreateTopic', 'kafka-cluster:AlterTopic', 'kafka-cluster:DescribeTopicDynamicConfiguration'] : []),
        ],
        resources: [topics],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
        resources: [groups],
      }),
    );
    // Feature flags, read through AppConfigData from the region's one AppConfig application.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        resources: [flagReaderResource(stack)],
      }),
    );
    // Business metrics (daily users, orders, revenue) go to CloudWatch for the capacity alarm.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': BUSINESS_NAMESPACE } },
      }),
    );
  }

  /** Acknowledges, on a role given {@link grantRuntime}, the Kafka wildcards it needs. */
  static acknowledgeRuntimeGrants(role: Construct): void {
    acknowledge(
      role,
      'IAM5[Resource::*]',
      `CloudWatch PutMetricData has no resource ARNs; the condition limits it to the ${BUSINESS_NAMESPACE} namespace.`,
    );
    for (const resource of kafkaWildcards(Stack.of(role))) {
      acknowledge(
        role,
        `IAM5[Resource::${resource.replace(Stack.of(role).account, '<AWS::AccountId>')}]`,
        'The services own every domain topic and consumer group of the region\'s one orders-events cluster; topics are created by the provisioning job, so their ARNs are not known when the policy is written.',
      );
    }
    acknowledge(
      role,
      `IAM5[Resource::${flagReaderResource(Stack.of(role)).replace(Stack.of(role).account, '<AWS::AccountId>')}]`,
      'AppConfig gives the flags\' application, environment and profile IDs when the monitoring stack creates them, after the compute stacks; the services read them by name (FLAGS_SOURCE), and reading configuration is all this allows.',
    );
    // In a secondary region only (elsewhere the finding never arises): the replicas of the primary's secrets.
    acknowledge(
      role,
      `IAM5[Resource::${readReplicasStatement(role, '').resources[0].replace(Stack.of(role).account, '<AWS::AccountId>')}]`,
      'A replica secret\'s ARN is not known when the policy is written (its suffix is the primary\'s, chosen at creation); the condition limits the grant to the secrets the primary region\'s data stack replicates, by their replicated tag.',
    );
  }
}
