/**
 * CLI: re-shards orders online to N shards (bucket b goes to shard b mod N), bucket by bucket.
 * ORDER_SHARD_URLS lists every shard, the new ones included (they own no bucket until moved).
 *
 *   ORDER_SHARD_URLS=...6 urls... tsx services/tools/reshard.ts --to 6
 *   tsx services/tools/reshard.ts --bucket 7 --shard 4     # move one bucket
 *   tsx services/tools/reshard.ts --to 6 --wait-seconds 900
 *
 * Safe to start before the new shards are migrated (the Kubernetes Jobs start together): it
 * waits up to --wait-seconds (default 600) for the directory and every shard to be migrated, then
 * fails naming what is missing (the Job's retries start it again). Safe to repeat: buckets already
 * where N puts them are left alone, a move interrupted by a crash is finished, and one run at a
 * time holds the directory's advisory lock.
 */
import { loadConfig } from '../shared/config';
import { createPool } from '../shared/db';
import { refuseInSecondary } from '../shared/region';
import { moveBucket, reshard, waitForShardSchema, withReshardLock } from './reshard-lib';

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
    const waitSeconds = arg('--wait-seconds') ?? 600;
    const ready = () => waitForShardSchema({ directory, shards, timeoutMs: waitSeconds * 1000, log });
    if (to !== undefined && Number.isInteger(to) && to > 0) {
      await ready();
      const moved = await withReshardLock(directory, () => reshard({ directory, shards, to, log }), log);
      log(`moved ${moved.length} buckets; longest write pause ${Math.max(0, ...moved.map((m) => m.pauseMs))} ms`);
    } else if (bucket !== undefined && arg('--shard') !== undefined) {
      await ready();
      await withReshardLock(directory, () => moveBucket({ directory, shards, bucket, to: arg('--shard')!, log }), log);
    } else {
      throw new Error('usage: reshard --to <shards> | --bucket <b> --shard <s> [--wait-seconds <s>]');
    }
  } finally {
    await Promise.all([directory.end(), ...shards.map((s) => s.end())]);
  }
}

run().catch((e) => {
  process.stderr.write(`reshard: ${(e as Error).message}\n`);
  process.exit(1);
});
