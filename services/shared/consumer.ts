/**
 * Kafka consumers. A handler's effect and the record of the processed event id commit in one
 * transaction (see `markProcessed`), so redelivery after a crash or rebalance changes nothing.
 * A handler that fails is retried with backoff without committing the offset: events are
 * never skipped, only an unparseable message is: one that is not JSON, not an event, or an
 * event whose envelope or data break its schema (`EVENT_DATA`). Such a message is logged as an
 * error naming each bad field, counted (`outcome="unparseable"`), and passed over.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { describeProblems, envelopeSchema, EventHead, eventProblems, type EventType, type Topic, type TypedEvent } from './events';
import { topicName } from './kafka';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** Handles one event of type `T`, parsed. */
export type Handler<T extends EventType = EventType> = (e: TypedEvent<T>) => Promise<void>;

/** A handler per event type, each given that type's events. */
export type Handlers = { [T in EventType]?: Handler<T> };

export interface ConsumerSpec {
  /** Consumer name: the group id (after the prefix) and the processed_events key. */
  name: string;
  topics: Topic[];
  handlers: Handlers;
  /**
   * A group of this process alone (a listener that changes only the process's own memory): it
   * starts at the latest offset and commits nothing, so the group leaves nothing behind when the
   * process stops.
   */
  ephemeral?: boolean;
}

export interface ConsumerOptions {
  kafka: Kafka;
  topicPrefix: string;
  log: Logger;
  metrics?: Metrics;
  fromBeginning?: boolean;
}

export class EventConsumer {
  private consumer: Consumer | undefined;
  private stopping = false;
  private supervisor: Promise<void> | undefined;
  private stop_: () => void = () => undefined;
  private readonly stopped = new Promise<void>((r) => (this.stop_ = r));

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly o: ConsumerOptions,
  ) {}

  /**
   * Starts consuming and keeps a consumer running: if kafkajs gives up (a broker away longer
   * than its retries), a new consumer replaces it. Resolves once the first one runs or fails.
   */
  start(): Promise<void> {
    return new Promise((ready) => {
      this.supervisor = this.supervise(ready);
    });
  }

  private async supervise(ready: () => void): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      const c = this.create();
      this.consumer = c;
      const dead = new Promise<unknown>((resolve) => {
        c.on(c.events.CRASH, (ev) => {
          if (!ev.payload.restart) resolve(ev.payload.error);
        });
      });
      try {
        await c.connect();
        await c.subscribe({ topics: this.spec.topics.map((t) => topicName(this.o.topicPrefix, t)), fromBeginning: !this.spec.ephemeral && (this.o.fromBeginning ?? true) });
        await c.run({ partitionsConsumedConcurrently: 4, autoCommit: !this.spec.ephemeral, eachMessage: (p) => this.handle(p.message.value, () => p.heartbeat()) });
        attempt = 0;
        ready();
        const err = await Promise.race([dead, this.stopped]);
        if (!this.stopping) this.o.log.warn({ err, consumer: this.spec.name }, 'consumer stopped; starting a new one');
      } catch (err) {
        this.o.log.warn({ err, consumer: this.spec.name, attempt }, 'consumer could not start; retrying');
        ready();
      }
      await c.disconnect().catch(() => undefined);
      if (!this.stopping) await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
    }
  }

  private create(): Consumer {
    return this.o.kafka.consumer({
      groupId: topicName(this.o.topicPrefix, this.spec.name),
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10000,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3000 },
      allowAutoTopicCreation: false,
    });
  }

  private async handle(value: Buffer | null, heartbeat: () => Promise<void>): Promise<void> {
    const { log } = this.o;
    const env = this.parse(value);
    if (!env) return;
    const handler = this.spec.handlers[env.type] as Handler | undefined;
    if (!handler) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await handler(env);
        this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'ok' });
        return;
      } catch (err) {
        this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'retry' });
        if (attempt === 0 || attempt % 20 === 0) log.warn({ err, consumer: this.spec.name, event: env.id, type: env.type, attempt }, 'event handler failed; retrying');
        // Throwing leaves the offset uncommitted: the event comes back after the restart.
        if (this.stopping) throw err;
        await new Promise((r) => setTimeout(r, Math.min(3000, 50 * 2 ** Math.min(attempt, 6))));
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /**
   * The event in `value` parsed with its type's schema; undefined when this consumer does not
   * handle its type, or when it is unparseable (then logged and counted).
   */
  private parse(value: Buffer | null): TypedEvent<EventType> | undefined {
    const { log } = this.o;
    const skip = (fields: Record<string, unknown>, message: string): undefined => {
      log.error({ consumer: this.spec.name, ...fields }, message);
      this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'unparseable' });
      return undefined;
    };
    let raw: unknown;
    try {
      raw = JSON.parse(value?.toString() ?? '');
    } catch (err) {
      return skip({ err }, 'skipping unparseable message: not JSON');
    }
    const head = EventHead.safeParse(raw);
    if (!head.success) {
      const problems = eventProblems(head.error, raw);
      return skip({ problems }, `skipping unparseable message: not an event envelope: ${describeProblems(problems)}`);
    }
    const { id, type } = head.data;
    if (!Object.hasOwn(this.spec.handlers, type)) return undefined;
    const parsed = envelopeSchema(type as EventType).safeParse(raw);
    if (!parsed.success) {
      const problems = eventProblems(parsed.error, raw);
      return skip({ event: id, type, fields: problems.map((p) => p.field), problems }, `skipping unparseable event ${id} (${type}): ${describeProblems(problems)}`);
    }
    return parsed.data;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stop_();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.supervisor;
  }
}
