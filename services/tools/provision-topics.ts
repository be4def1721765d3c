/**
 * CLI: creates or grows the domain topics to KAFKA_TOPIC_PARTITIONS (never shrinks).
 * Reads the same environment as the services (KAFKA_*). Exit code 0 when done.
 */
import { loadConfig } from '../shared/config';
import { createKafka } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { refuseInSecondary } from '../shared/region';
import { provisionTopics } from './topics';

async function run(): Promise<void> {
  const cfg = loadConfig({ ORDERS_DB_URL: 'postgres://unused', INVENTORY_DB_URL: 'postgres://unused', USERS_DB_URL: 'postgres://unused', ...process.env });
  refuseInSecondary(cfg, 'topics are created in the primary region and mirrored to this one by MirrorMaker 2');
  const log = createLogger('provision-topics', cfg.LOG_LEVEL);
  const admin = createKafka(cfg, 'provision-topics', log).admin();
  await admin.connect();
  try {
    const plan = await provisionTopics(admin, { prefix: cfg.KAFKA_TOPIC_PREFIX, partitions: cfg.KAFKA_TOPIC_PARTITIONS, replicationFactor: cfg.KAFKA_REPLICATION_FACTOR });
    for (const p of plan) {
      const note = p.action === 'larger-than-requested' ? ` (has ${p.from}; topics never shrink)` : p.from !== undefined ? ` (from ${p.from})` : '';
      process.stdout.write(`${p.topic}: ${p.action} ${p.to} partitions${note}\n`);
    }
  } finally {
    await admin.disconnect();
  }
}

run().catch((e) => {
  process.stderr.write(`provision-topics: ${(e as Error).message}\n`);
  process.exit(1);
});
