/**
 * Merges lookups made in the same turn of the event loop into one query (the DataLoader
 * pattern): under load, concurrent checkouts share one catalogue read and one stock read
 * instead of a round trip each.
 */
export class Batcher<K, V> {
  private pending: { keys: K[]; waiters: { keys: K[]; resolve: (m: Map<K, V>) => void; reject: (e: unknown) => void }[] } | undefined;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxKeys = 500,
  ) {}

  get(keys: K[]): Promise<Map<K, V>> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = { keys: [], waiters: [] };
        setImmediate(() => this.flush());
      }
      this.pending.keys.push(...keys);
      this.pending.waiters.push({ keys, resolve, reject });
      if (this.pending.keys.length >= this.maxKeys) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (!batch) return;
    this.pending = undefined;
    this.load([...new Set(batch.keys)]).then(
      (all) => {
        for (const w of batch.waiters) w.resolve(new Map(w.keys.filter((k) => all.has(k)).map((k) => [k, all.get(k)!])));
      },
      (err) => {
        for (const w of batch.waiters) w.reject(err);
      },
    );
  }
}
