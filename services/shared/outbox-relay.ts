/**
 * The outbox relay: publishes rows of a database's outbox table to Kafka, at least once.
 *
 * Each round locks a batch with FOR UPDATE SKIP LOCKED (so several relays share the work),
 * sends it with acks=all, and only then marks it published in the same transaction. A crash
 * between the send and the commit republishes the batch: consumers are idempotent.
 *
 * With the home region read at start ({@link HomeAtStart}), each loop first records in its
 * database that this region is home (home_region_changes). When the home moved here (a region
 * deployed as secondary, promoted), the same transaction queues again the rows published in
 * OUTBOX_REPUBLISH_WINDOW_MS before the last publish the database holds: the lost primary marked
 * them published, and the mark replicated, but MirrorMaker may not have copied the events to
 * this region's Kafka. The record makes it once per promotion, across instances and restarts.
 */
import type { Pool } from 'pg';
import type { Producer } from 'kafkajs';
import { transaction } from './db';
import { topicName } from './kafka';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** The home region as the process found it at start: this region (HOME_REGION_SOURCE set, role primary). */
export interface HomeAtStart {
  /** This region (AWS_REGION). */
  region: string;
  /** The home moved here: deployed as a secondary, primary by the home read. */
  promoted: boolean;
  /** OUTBOX_REPUBLISH_WINDOW_MS. */
  windowMs: number;
}

export interface RelayOptions {
  pools: { name: string; pool: Pool }[];
  /** The producer, connected on first use and again after a failure. */
  producer: () => Promise<Producer>;
  topicPrefix: string;
  batchSize: number;
  pollMs: number;
  log: Logger;
  metrics?: Metrics;
  /** Set: the home is recorded, and after a promotion recent rows queued again, before the first round. */
  home?: HomeAtStart;
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

  /**
   * Records this region as the database's home unless its last record says so already (a restart,
   * or another instance first); after a promotion, queues again the rows published in the window
   * before the last publish, in the same transaction. Resolves with the rows queued again, or
   * undefined when nothing was recorded.
   */
  async recordHome(name: string, pool: Pool, home: HomeAtStart): Promise<number | undefined> {
    const queued = await transaction(pool, async (c) => {
      // Instances starting together wait here for the first one's record.
      await c.query('LOCK TABLE home_region_changes IN EXCLUSIVE MODE');
      const last = await c.query<{ region: string }>('SELECT region FROM home_region_changes ORDER BY id DESC LIMIT 1');
      if (last.rows[0]?.region === home.region) return undefined;
      let rows: number | null = home.promoted ? 0 : null;
      if (home.promoted && home.windowMs > 0) {
        // The window ends at the lost primary's last publish, not now: however long the promotion took.
        const r = await c.query("UPDATE outbox SET published_at = NULL WHERE published_at >= (SELECT max(published_at) FROM outbox) - $1::double precision * interval '1 millisecond'", [home.windowMs]);
        rows = r.rowCount ?? 0;
      }
      await c.query('INSERT INTO home_region_changes (region, promoted, republished, window_ms) VALUES ($1, $2, $3, $4)', [home.region, home.promoted, rows, home.promoted ? home.windowMs : null]);
      return rows ?? 0;
    });
    if (queued === undefined) return undefined;
    if (home.promoted) {
      this.o.metrics?.outboxRepublished.inc({ db: name }, queued);
      this.o.log.warn(
        { db: name, region: home.region, rows: queued, windowMs: home.windowMs },
        'the home region moved here: outbox rows published in the window before the last publish are published again (MirrorMaker may not have copied them)',
      );
    } else {
      this.o.log.info({ db: name, region: home.region }, 'home region recorded');
    }
    return queued;
  }

  private async loop(name: string, pool: Pool): Promise<void> {
    let failures = 0;
    let homeRecorded = this.o.home === undefined;
    while (this.running) {
      let n = 0;
      try {
        if (!homeRecorded) {
          await this.recordHome(name, pool, this.o.home!).catch((e: { code?: string }) => {
            // A schema older than this code: publishing goes on, without the record.
            if (e.code !== '42P01') throw e;
            this.o.log.error({ err: e, db: name }, 'home_region_changes is missing (run the schema tool): the home region is not recorded and no outbox row is published again after a promotion');
          });
          homeRecorded = true;
        }
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
