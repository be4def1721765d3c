/**
 * Kafka consumers. A handler's effect and the record of the processed event id commit in one
 * transaction (see `markProcessed`), so redelivery after a crash or rebalance changes nothing.
 * A handler that fails is retried with backoff without committing the offset: events are
 * never skipped, only an unparseable message is (and counted).
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { EventEnvelope, EventType, Topic } from './events';
import { topicName } from './kafka';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export type Handler = (e: EventEnvelope) => Promise<void>;

export interface ConsumerSpec {
  /** Consumer name: the group id (after the prefix) and the processed_events key. */
  name: string;
  topics: Topic[];
  handlers: Partial<Record<EventType, Handler>>;
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

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly o: ConsumerOptions,
  ) {}

  async start(): Promise<void> {
    const { kafka, topicPrefix, log } = this.o;
    const c = kafka.consumer({
      groupId: topicName(topicPrefix, this.spec.name),
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 3000 },
      allowAutoTopicCreation: false,
    });
    this.consumer = c;
    await c.connect();
    await c.subscribe({ topics: this.spec.topics.map((t) => topicName(topicPrefix, t)), fromBeginning: this.o.fromBeginning ?? true });
    await c.run({
      partitionsConsumedConcurrently: 4,
      eachMessage: async ({ message, heartbeat }) => {
        let env: EventEnvelope;
        try {
          env = JSON.parse(message.value?.toString() ?? '') as EventEnvelope;
          if (!env || typeof env.id !== 'string' || typeof env.type !== 'string') throw new Error('not an event envelope');
        } catch (err) {
          log.error({ err, consumer: this.spec.name }, 'skipping unparseable message');
          this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'unparseable' });
          return;
        }
        const handler = this.spec.handlers[env.type];
        if (!handler) return;
        for (let attempt = 0; ; attempt++) {
          try {
            await handler(env);
            this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'ok' });
            return;
          } catch (err) {
            this.o.metrics?.eventsConsumed.inc({ consumer: this.spec.name, outcome: 'retry' });
            if (attempt === 0 || attempt % 20 === 0) log.warn({ err, consumer: this.spec.name, event: env.id, type: env.type, attempt }, 'event handler failed; retrying');
            if (this.stopping) throw err;
            await new Promise((r) => setTimeout(r, Math.min(3000, 50 * 2 ** Math.min(attempt, 6))));
            await heartbeat().catch(() => undefined);
          }
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
  }
}
