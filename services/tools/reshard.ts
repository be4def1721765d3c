/**
 * CLI: re-shards orders online to N shards (bucket b goes to shard b mod N), bucket by bucket.
 * ORDER_SHARD_URLS must already list the new shards, migrated (they own no bucket yet).
 *
 *   ORDER_SHARD_URLS=...6 urls... tsx services/tools/reshard.ts --to 6
 *   tsx services/tools/reshard.ts --bucket 7 --shard 4     # move one bucket
 */
import { loadConfig } from '../shared/config';
import { createPool } from '../shared/db';
import { refuseInSecondary } from '../shared/region';
import { moveBucket, reshard } from './reshard-lib';

async function run(): Promise<void> {
  const cfg = loadConfig();
  refuseInSecondary(cfg, 'orders are re-sharded in the primary region; this region\'s shards are read-only replicas');
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const opts = { max: 2, statementTimeoutMs: 600000, applicationName: 'reshard' };
  const directory = createPool(cfg.ORDERS_DB_URL, opts);
  const shards = cfg.ORDER_SHARD_URLS.map((u) => createPool(u, opts));
  const log = (m: string) => process.stdout.write(`${m}\n`);
  try {
    const to = arg('--to');
    const bucket = arg('--bucket');
    if (to !== undefined && Number.isInteger(to) && to > 0) {
      const moved = await reshard({ directory, shards, to, log });
      log(`moved ${moved.length} buckets; longest write pause ${Math.max(0, ...moved.map((m) => m.pauseMs))} ms`);
    } else if (bucket !== undefined && arg('--shard') !== undefined) {
      await moveBucket({ directory, shards, bucket, to: arg('--shard')!, log });
    } else {
      throw new Error('usage: reshard --to <shards> | --bucket <b> --shard <s>');
    }
  } finally {
    await Promise.all([directory.end(), ...shards.map((s) => s.end())]);
  }
}

run().catch((e) => {
  process.stderr.write(`reshard: ${(e as Error).message}\n`);
  process.exit(1);
});
