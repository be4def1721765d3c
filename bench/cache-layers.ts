/**
 * Hit rate of each caching layer and the origin load saved, for catalogue reads at a phase's peak
 * (the capacity model's requests per second, the product service's share of them). Products are
 * requested by a Zipf distribution (s = 1) over the catalogue. The edge keeps an answer for the
 * services' own max-age (services/shared/http-caching.ts); each instance's in-process cache is the
 * services' LocalCache (services/shared/local-cache.ts) with the given bound and TTL; Redis keeps
 * an entry for CACHE_TTL_SECONDS. A model run on simulated time, not a load test.
 *
 *   npx tsx bench/cache-layers.ts [phase=50k] [products=10000] [instances=6] [entries=1000] [ttlMs=2000]
 */
import { PHASES, type PhaseName } from '../phases';
import { SERVICE_TRAFFIC_SHARE, capacity } from '../phases/capacity';
import { SHARED_MAX_AGE_SECONDS } from '../services/shared/http-caching';
import { LocalCache } from '../services/shared/local-cache';

const [phase = '50k', productsArg = '10000', instancesArg = '6', entriesArg = '1000', ttlArg = '2000'] = process.argv.slice(2);
const products = Number(productsArg);
const instances = Number(instancesArg);
const rps = capacity(PHASES[phase as PhaseName]).peakRps * SERVICE_TRAFFIC_SHARE.product;
const seconds = 600;
const redisTtlMs = 300_000;

// Zipf(1) sampler over product ranks.
const weights = Array.from({ length: products }, (_, i) => 1 / (i + 1));
const total = weights.reduce((a, b) => a + b, 0);
const cdf: number[] = [];
weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
function sample(): string {
  const u = random();
  let lo = 0;
  let hi = products - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return `p-${lo}`;
}

let now = 0;
const realNow = performance.now.bind(performance);
// LocalCache (lru-cache) reads performance.now for its TTLs: simulated time drives it.
performance.now = () => now;

async function main(): Promise<void> {
  const edge = new Map<string, number>();
  const redis = new Map<string, number>();
  const locals = Array.from({ length: instances }, () => new LocalCache<{ version: number }>('bench', Number(entriesArg), Number(ttlArg)));
  const counts = { requests: 0, edgeHits: 0, localReads: 0, localHits: 0, redisReads: 0, redisHits: 0, database: 0 };
  const started = realNow();
  const steps = Math.round(rps * seconds);
  for (let i = 0; i < steps; i++) {
    now = (i / rps) * 1000;
    const id = sample();
    counts.requests++;
    if ((edge.get(id) ?? -1) > now) {
      counts.edgeHits++;
      continue;
    }
    edge.set(id, now + SHARED_MAX_AGE_SECONDS * 1000);
    counts.localReads++;
    const local = locals[i % instances];
    let fromLocal = true;
    await local.getMany([id], (missing) => {
      fromLocal = false;
      counts.redisReads++;
      if ((redis.get(id) ?? -1) > now) counts.redisHits++;
      else {
        counts.database++;
        redis.set(id, now + redisTtlMs);
      }
      return Promise.resolve(new Map(missing.map((m) => [m, { version: 1 }])));
    });
    if (fromLocal) counts.localHits++;
  }
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
  console.log(`phase ${phase}: ${rps.toFixed(0)} catalogue reads/s at peak for ${seconds} s, ${products} products (Zipf s=1), ${instances} instances, in-process ${entriesArg} entries / ${ttlArg} ms, edge max-age ${SHARED_MAX_AGE_SECONDS} s, Redis TTL ${redisTtlMs / 1000} s`);
  console.log(`| layer | requests reaching it | hit rate |`);
  console.log(`|---|---|---|`);
  console.log(`| edge (CloudFront) | ${counts.requests} | ${pct(counts.edgeHits, counts.requests)} |`);
  console.log(`| in-process (per instance) | ${counts.localReads} | ${pct(counts.localHits, counts.localReads)} |`);
  console.log(`| Redis | ${counts.redisReads} | ${pct(counts.redisHits, counts.redisReads)} |`);
  console.log(`| database | ${counts.database} | - |`);
  console.log(`all layers together: ${pct(counts.requests - counts.database, counts.requests)} of catalogue reads never reach the database; the API and the services see ${pct(counts.localReads, counts.requests)} of them (${pct(counts.edgeHits, counts.requests)} saved at the edge), Redis ${pct(counts.redisReads, counts.requests)}`);
  console.log(`(${((realNow() - started) / 1000).toFixed(1)} s)`);
}

void main();
