/**
 * MirrorMaker 2 configuration: one-way replication of the primary region's Kafka topics into a
 * secondary region's cluster (dedicated mode, `org.apache.kafka.connect.mirror.MirrorMaker`).
 *
 * The same renderer produces the file that runs on EKS (MSK IAM over SASL_SSL, replication factor 3)
 * and the one the local cross-region test runs against two plaintext clusters
 * (test/services/mirror-maker.test.ts): only endpoints, security and replication factor differ.
 *
 * Choices made here, and why:
 * - IdentityReplicationPolicy: topics keep their names, so a secondary region's consumers use the
 *   same topic names as in the primary. MirrorMaker cannot detect cycles under this policy: only one
 *   direction may ever run between two clusters (a failover stops the old flow before a reverse one
 *   starts).
 * - Everything MirrorMaker writes stays in the target (secondary) cluster: offset-syncs topic on the
 *   target, no heartbeats emitted into the source, so no herder for the reverse direction exists
 *   and the primary cluster is only read (its access policy needs no write or create rights).
 * - Topic ACLs are not synced: MSK IAM access control has no Kafka ACLs to copy.
 */

export interface KafkaClusterEndpoint {
  /** The MirrorMaker cluster alias, e.g. 'us-east-1'. */
  readonly alias: string;
  /** bootstrap servers, comma-separated host:port (may be a CDK token string at synth time: treat as opaque). */
  readonly bootstrapServers: string;
  /** How MirrorMaker authenticates: MSK IAM over SASL_SSL, or plaintext (local tests only). */
  readonly security: { readonly kind: 'msk-iam'; readonly region?: string } | { readonly kind: 'plaintext' };
}

export interface MirrorMakerOptions {
  /** The primary region. */
  readonly source: KafkaClusterEndpoint;
  /** This secondary region. */
  readonly target: KafkaClusterEndpoint;
  /** Topic names to mirror (exact names). */
  readonly topics: readonly string[];
  /**
   * Consumer groups whose offsets are translated and synced: exact names, or a Java regex written
   * between slashes (e.g. '/orders-.+/').
   */
  readonly groups: readonly string[];
  /** Replication factor of the mirrored topics and of MirrorMaker's internal topics: 3 on MSK, 1 locally. */
  readonly replicationFactor: number;
  /** Maximum tasks per connector (the replication connector splits partitions over them). */
  readonly tasksMax: number;
  /** How often checkpoints are emitted, group offsets synced and offset syncs flushed, seconds (default 10). */
  readonly syncIntervalSeconds?: number;
  /** How often new topics, partitions, topic configs and consumer groups are looked for, seconds (default 60). */
  readonly refreshIntervalSeconds?: number;
}

/** Where the image reads the rendered properties (a ConfigMap mounted at its directory). */
export const MIRROR_MAKER_PROPERTIES_PATH = '/etc/mirror-maker/mm2.properties';

const DEFAULT_SYNC_INTERVAL_SECONDS = 10;
const DEFAULT_REFRESH_INTERVAL_SECONDS = 60;

const REPLICATION_POLICY = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';
const MSK_IAM_LOGIN_MODULE = 'software.amazon.msk.auth.iam.IAMLoginModule';
const MSK_IAM_CALLBACK_HANDLER = 'software.amazon.msk.auth.iam.IAMClientCallbackHandler';

/**
 * The topics MirrorMaker creates in the target cluster for itself (names from Kafka's
 * DefaultReplicationPolicy and MirrorMakerConfig), e.g. for access policies and monitoring.
 */
export function mirrorMakerInternalTopics(sourceAlias: string): {
  readonly offsetSyncs: string;
  readonly checkpoints: string;
  readonly heartbeats: string;
  readonly connectConfigs: string;
  readonly connectOffsets: string;
  readonly connectStatus: string;
} {
  return {
    // offset-syncs.topic.location=target: named after the other (source) cluster.
    offsetSyncs: `mm2-offset-syncs.${sourceAlias}.internal`,
    checkpoints: `${sourceAlias}.checkpoints.internal`,
    heartbeats: 'heartbeats',
    connectConfigs: `mm2-configs.${sourceAlias}.internal`,
    connectOffsets: `mm2-offsets.${sourceAlias}.internal`,
    connectStatus: `mm2-status.${sourceAlias}.internal`,
  };
}

// ---------------------------------------------------------------- validation

const ALIAS = /^[A-Za-z0-9_-]{1,64}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const GROUP_NAME = /^[A-Za-z0-9._-]{1,255}$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/;
/** An unresolved CDK token (`${Token[...]}`): resolved by CloudFormation, so only its presence is checked. */
const TOKEN = /\$\{Token\[[^\]]+\]\}/;
/** MirrorMaker's default exclusions (DefaultTopicFilter, DefaultGroupFilter): such names would never be mirrored. */
const EXCLUDED_TOPIC = /^(?:.*[-.]internal|.*\.replica|__.*|heartbeats|.*\.heartbeats)$/;
const EXCLUDED_GROUP = /^(?:console-consumer-.*|connect-.*|__.*)$/;

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

function checkEndpoint(which: 'source' | 'target', e: KafkaClusterEndpoint | undefined, problems: string[]): void {
  if (!e) {
    problems.push(`${which} = ${show(e)}: required`);
    return;
  }
  if (typeof e.alias !== 'string' || !ALIAS.test(e.alias)) {
    problems.push(
      `${which}.alias = ${show(e.alias)}: must be 1-64 characters of [A-Za-z0-9_-] ` +
        '(it prefixes properties, where a dot would be ambiguous, and names topics such as <alias>.checkpoints.internal)',
    );
  }
  const servers = e.bootstrapServers;
  if (typeof servers !== 'string' || servers.trim() === '') {
    problems.push(`${which}.bootstrapServers = ${show(servers)}: must be a non-empty comma-separated list of host:port`);
  } else if (/[\r\n]/.test(servers)) {
    problems.push(`${which}.bootstrapServers = ${show(servers)}: must be on one line`);
  } else if (!TOKEN.test(servers)) {
    const bad = servers.split(',').map((s) => s.trim()).filter((s) => !HOST_PORT.test(s) || Number(s.slice(s.lastIndexOf(':') + 1)) > 65535);
    if (bad.length > 0) {
      problems.push(`${which}.bootstrapServers = ${show(servers)}: ${bad.map(show).join(', ')} is not host:port`);
    }
  }
  const sec = e.security as { kind?: unknown; region?: unknown } | undefined;
  if (!sec || (sec.kind !== 'msk-iam' && sec.kind !== 'plaintext')) {
    problems.push(`${which}.security.kind = ${show(sec?.kind)}: must be 'msk-iam' or 'plaintext'`);
  } else if (sec.kind === 'msk-iam' && sec.region !== undefined && (typeof sec.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(sec.region))) {
    problems.push(`${which}.security.region = ${show(sec.region)}: must be an AWS region name such as us-east-1`);
  }
}

function checkPositiveInt(field: string, v: unknown, max: number, problems: string[]): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    problems.push(`${field} = ${show(v)}: must be an integer from 1 to ${max}`);
  }
}

function validate(o: MirrorMakerOptions): void {
  const problems: string[] = [];
  checkEndpoint('source', o.source, problems);
  checkEndpoint('target', o.target, problems);
  if (o.source && o.target && o.source.alias === o.target.alias) {
    problems.push(`target.alias = ${show(o.target.alias)}: must differ from source.alias`);
  }
  if (!Array.isArray(o.topics) || o.topics.length === 0) {
    problems.push(`topics = ${show(o.topics)}: must name at least one topic`);
  } else {
    for (const t of o.topics) {
      if (typeof t !== 'string' || !TOPIC.test(t) || t === '.' || t === '..') {
        problems.push(`topics: ${show(t)} is not a Kafka topic name (1-249 characters of [A-Za-z0-9._-], not '.' or '..')`);
      } else if (EXCLUDED_TOPIC.test(t)) {
        problems.push(`topics: ${show(t)} looks like an internal or heartbeats topic, which MirrorMaker never mirrors under this name`);
      }
    }
  }
  if (!Array.isArray(o.groups) || o.groups.length === 0) {
    problems.push(`groups = ${show(o.groups)}: must name at least one consumer group (or a /regex/)`);
  } else {
    for (const g of o.groups) {
      if (typeof g !== 'string') {
        problems.push(`groups: ${show(g)} is not a string`);
      } else if (isRegexEntry(g)) {
        const body = g.slice(1, -1);
        if (body === '' || /[,\r\n]/.test(body) || /[^\x20-\x7e]/.test(body)) {
          problems.push(`groups: ${show(g)}: a /regex/ must be non-empty printable ASCII without commas (the list is comma-separated)`);
        } else {
          try {
            new RegExp(body);
          } catch (e) {
            problems.push(`groups: ${show(g)} is not a valid regex (${(e as Error).message})`);
          }
        }
      } else if (!GROUP_NAME.test(g)) {
        problems.push(`groups: ${show(g)} must be 1-255 characters of [A-Za-z0-9._-], or a regex between slashes`);
      } else if (EXCLUDED_GROUP.test(g)) {
        problems.push(`groups: ${show(g)} matches MirrorMaker's default group exclusions (console-consumer-*, connect-*, __*) and would never be synced`);
      }
    }
  }
  checkPositiveInt('replicationFactor', o.replicationFactor, 32767, problems);
  checkPositiveInt('tasksMax', o.tasksMax, 1000, problems);
  if (o.syncIntervalSeconds !== undefined) checkPositiveInt('syncIntervalSeconds', o.syncIntervalSeconds, 86400, problems);
  if (o.refreshIntervalSeconds !== undefined) checkPositiveInt('refreshIntervalSeconds', o.refreshIntervalSeconds, 86400, problems);
  if (problems.length > 0) {
    throw new Error(`MirrorMaker options are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
  }
}

// ---------------------------------------------------------------- rendering

function isRegexEntry(g: string): boolean {
  return g.length >= 2 && g.startsWith('/') && g.endsWith('/');
}

/**
 * A Java regex matching exactly this name. Dots become `[.]` rather than `\.`: a backslash would
 * itself need escaping in the properties file.
 */
function exactPattern(name: string): string {
  return name.replace(/\./g, '[.]');
}

/** A value as java.util.Properties reads it back unchanged (ISO-8859-1, backslash escapes). */
function propertyValue(v: string): string {
  let out = '';
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (code < 0x20 || code > 0x7e) {
      for (const unit of ch.split('')) out += `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out;
}

type Line = string | [key: string, value: string | number | boolean];

function securityLines(e: KafkaClusterEndpoint): Line[] {
  const a = e.alias;
  if (e.security.kind === 'plaintext') {
    return [[`${a}.security.protocol`, 'PLAINTEXT']];
  }
  // Set on the cluster's prefix: MirrorMaker copies these to the producer, consumer and admin
  // clients of that cluster (and to the Connect worker when it is the target).
  const region = e.security.region;
  const jaas = region
    ? `${MSK_IAM_LOGIN_MODULE} required awsStsRegion="${region}";` // regional STS endpoint for credentials
    : `${MSK_IAM_LOGIN_MODULE} required;`;
  return [
    [`${a}.security.protocol`, 'SASL_SSL'],
    [`${a}.sasl.mechanism`, 'AWS_MSK_IAM'],
    [`${a}.sasl.jaas.config`, jaas],
    [`${a}.sasl.client.callback.handler.class`, MSK_IAM_CALLBACK_HANDLER],
  ];
}

/**
 * The mm2.properties text for one-way replication source → target. Throws, naming every invalid
 * field and value, before rendering anything. Same options, same text (topics and groups sorted).
 */
export function renderMirrorMakerProperties(options: MirrorMakerOptions): string {
  validate(options);
  const { source, target } = options;
  const s = source.alias;
  const t = target.alias;
  const rf = options.replicationFactor;
  const sync = options.syncIntervalSeconds ?? DEFAULT_SYNC_INTERVAL_SECONDS;
  const refresh = options.refreshIntervalSeconds ?? DEFAULT_REFRESH_INTERVAL_SECONDS;
  const topics = [...new Set(options.topics)].sort();
  const groups = [...new Set(options.groups)].sort();
  const flow = `${s}->${t}`;

  const lines: Line[] = [
    `# MirrorMaker 2, dedicated mode: ${s} -> ${t}, one way.`,
    '# Rendered by lib/replication/mirror-maker.ts (renderMirrorMakerProperties); do not edit by hand.',
    '',
    ['clusters', `${s}, ${t}`],
    '',
    `# ${s}: the primary region (source, only read).`,
    [`${s}.bootstrap.servers`, source.bootstrapServers],
    ...securityLines(source),
    '',
    `# ${t}: this region (target). The Connect worker's own topics live here too.`,
    [`${t}.bootstrap.servers`, target.bootstrapServers],
    ...securityLines(target),
    '# Source offsets are committed, and delayed offset syncs published, at this interval: the',
    '# finer the offset syncs, the fewer messages a consumer re-reads after moving to this region.',
    [`${t}.offset.flush.interval.ms`, sync * 1000],
    '',
    '# One direction only. IdentityReplicationPolicy cannot detect cycles: never enable both.',
    [`${flow}.enabled`, true],
    [`${t}->${s}.enabled`, false],
    ['replication.policy.class', REPLICATION_POLICY],
    '# The Connect plugins on the classpath all declare themselves: no classpath scan at start',
    "# (seconds of CPU), neither for MirrorMaker itself nor for the worker (which reads the target's prefix).",
    ['plugin.discovery', 'service_load'],
    [`${t}.plugin.discovery`, 'service_load'],
    '',
    '# Exact topic names, as regexes (a dot is written [.]).',
    [`${flow}.topics`, topics.map(exactPattern).join(', ')],
    [`${flow}.groups`, groups.map((g) => (isRegexEntry(g) ? g.slice(1, -1) : exactPattern(g))).join(', ')],
    ['tasks.max', options.tasksMax],
    '',
    '# Mirrored topics: created with the source partition count; configs and new partitions follow.',
    ['replication.factor', rf],
    ['sync.topic.configs.enabled', true],
    ['sync.topic.configs.interval.seconds', refresh],
    ['refresh.topics.enabled', true],
    ['refresh.topics.interval.seconds', refresh],
    '# MSK IAM access control has no Kafka ACLs to copy (describeAcls would only fail).',
    ['sync.topic.acls.enabled', false],
    '',
    '# Consumer group offsets: translated through the offset syncs, written as checkpoints, and',
    "# committed to the same group in this cluster while that group has no active member here.",
    ['emit.checkpoints.enabled', true],
    ['emit.checkpoints.interval.seconds', sync],
    ['sync.group.offsets.enabled', true],
    ['sync.group.offsets.interval.seconds', sync],
    ['refresh.groups.enabled', true],
    ['refresh.groups.interval.seconds', refresh],
    '',
    '# The offset-syncs topic lives in the target, not in the default source location: MirrorMaker',
    '# then never creates or writes a topic in the primary cluster, and each secondary region keeps',
    '# its own (no two regions share a topic in the primary).',
    ['offset-syncs.topic.location', 'target'],
    '',
    '# Heartbeats only into this cluster (a liveness signal here). Emitting them into the source',
    '# would add a herder for the reverse direction that writes into the primary. Heartbeats topics',
    '# of the source are not mirrored: only the listed topics are.',
    ['emit.heartbeats.enabled', false],
    [`${flow}.emit.heartbeats.enabled`, true],
    [`${flow}.emit.heartbeats.interval.seconds`, 5],
    ['heartbeats.replication.enabled', false],
    '',
    "# Replication factor of MirrorMaker's internal topics (all in the target cluster).",
    ['offset-syncs.topic.replication.factor', rf],
    ['checkpoints.topic.replication.factor', rf],
    ['heartbeats.topic.replication.factor', rf],
    ['offset.storage.replication.factor', rf],
    ['config.storage.replication.factor', rf],
    ['status.storage.replication.factor', rf],
  ];

  return (
    lines
      .map((l) => (typeof l === 'string' ? l : `${l[0]} = ${propertyValue(String(l[1]))}`))
      .join('\n') + '\n'
  );
}
