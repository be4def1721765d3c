/** Kafka client (kafkajs), built from config: brokers, TLS and SASL. */
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Topic } from './events';

export function kafkaConfig(cfg: Config, clientId: string): KafkaConfig {
  let sasl: SASLOptions | undefined;
  switch (cfg.KAFKA_SASL_MECHANISM) {
    case 'none':
      break;
    case 'plain':
      sasl = { mechanism: 'plain', username: cfg.KAFKA_SASL_USERNAME, password: cfg.KAFKA_SASL_PASSWORD };
      break;
    case 'scram-sha-256':
      sasl = { mechanism: 'scram-sha-256', username: cfg.KAFKA_SASL_USERNAME, password: cfg.KAFKA_SASL_PASSWORD };
      break;
    case 'scram-sha-512':
      sasl = { mechanism: 'scram-sha-512', username: cfg.KAFKA_SASL_USERNAME, password: cfg.KAFKA_SASL_PASSWORD };
      break;
    case 'aws-iam': {
      // MSK IAM over SASL/OAUTHBEARER: a SigV4-presigned token from the default credential chain
      // (Pod Identity, the instance profile), made anew at each authentication.
      const region = cfg.AWS_REGION;
      sasl = {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
      };
      break;
    }
  }
  return {
    clientId,
    brokers: cfg.KAFKA_BROKERS,
    ssl: cfg.KAFKA_SSL,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 3000 },
  };
}

export function createKafka(cfg: Config, clientId: string, log: Logger): Kafka {
  if (cfg.KAFKA_BROKERS.length === 0) throw new Error('KAFKA_BROKERS=(unset): is required by this process');
  const child = log.child({ component: 'kafkajs' });
  return new Kafka({
    ...kafkaConfig(cfg, clientId),
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fn = entry.level <= logLevel.ERROR ? child.error.bind(child) : child.warn.bind(child);
      fn({ ...rest, namespace: entry.namespace }, message);
    },
  });
}

export const topicName = (prefix: string, topic: Topic | (string & {})): string => `${prefix}${topic}`;
