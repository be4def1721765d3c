/** Identifiers. Order ids carry their bucket so any order can be routed to its shard. */
import { createHash, randomUUID } from 'node:crypto';

/** FNV-1a 32-bit hash: stable across processes and languages. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function bucketOf(customerId: string, buckets: number): number {
  return fnv1a(customerId) % buckets;
}

/** A UUID whose first 16 bits are the bucket (so up to 65536 buckets). */
export function orderId(bucket: number): string {
  const u = randomUUID();
  return bucket.toString(16).padStart(4, '0') + u.slice(4);
}

export function bucketOfOrderId(id: string): number {
  return parseInt(id.slice(0, 4), 16);
}

export const newId = (): string => randomUUID();

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** JSON with sorted keys, so equal requests hash equally. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
