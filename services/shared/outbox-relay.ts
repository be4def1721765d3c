/**
 * The outbox relay: publishes rows of a database's outbox table to Kafka, at least once.
 *
 * Each round locks a batch with FOR UPDATE SKIP LOCKED (so several relays share the work),
 * sends it with acks=all, and only then marks it published in the same transaction. A crash
 * between the send and the commit republishes the batch: consumers are idempotent.
 */
import type { Pool } from 'pg';
import type { Producer } from 'kafkajs';
import { transaction } from './db';
import { topicName } from './kafka';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface RelayOptions {
  pools: { name: string; pool: Pool }[];
  /** The producer, connected on first use and again after a failure. */
  producer: () => Promise<Producer>;
  topicPrefix: string;
  batchSize: number;
  pollMs: number;
  log: Logger;
  metrics?: Metrics;
}

export class OutboxRelay {
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly o: RelayOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = this.o.pools.map((p) => this.loop(p.name, p.pool));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await Promise.all(this.loops);
  }

  /** Publishes one batch; returns how many rows it published. */
  async round(pool: Pool): Promise<number> {
    return transaction(pool, async (c) => {
      const { rows } = await c.query<{ id: number; topic: string; key: string; type: string; payload: unknown }>(
        'SELECT id, topic, key, type, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [this.o.batchSize],
      );
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (const r of rows) {
        const t = topicName(this.o.topicPrefix, r.topic);
        const list = byTopic.get(t) ?? [];
        const env = r.payload as { id: string };
        list.push({ key: r.key, value: JSON.stringify(r.payload), headers: { 'event-type': r.type, 'event-id': env.id } });
        byTopic.set(t, list);
      }
      const producer = await this.o.producer();
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      await c.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      for (const [topic, msgs] of byTopic) this.o.metrics?.eventsPublished.inc({ topic }, msgs.length);
      return rows.length;
    });
  }

  private async loop(name: string, pool: Pool): Promise<void> {
    let failures = 0;
    while (this.running) {
      let n = 0;
      try {
        n = await this.round(pool);
        failures = 0;
      } catch (e) {
        failures++;
        if (failures === 1 || failures % 50 === 0) this.o.log.warn({ err: e, db: name, failures }, 'outbox relay round failed; retrying');
      }
      if (n < this.o.batchSize && this.running) {
        const wait = failures > 0 ? Math.min(2000, this.o.pollMs * 2 ** Math.min(failures, 6)) : this.o.pollMs;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }
}
