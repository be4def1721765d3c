/**
 * The order-activity collection (analytics): one document per order event, in MongoDB /
 * DocumentDB. On a server that shards (the DocumentDB elastic cluster from 30k) the collection is
 * sharded by a hashed customer id: one customer's activity lives on one shard, read with one
 * index range, while customers spread evenly over the shards. Set up by the schema tool
 * (services/tools/migrate.ts), never at service start.
 */
import { MongoServerError, type Db } from 'mongodb';

/** The collection's name. */
export const ACTIVITY_COLLECTION = 'order_activity';

/** The shard key: DocumentDB elastic clusters shard by a hashed key. */
const ACTIVITY_SHARD_KEY = { customerId: 'hashed' } as const;

/** The one secondary index: a customer's events, newest first (the id breaks ties for paging). */
const ACTIVITY_INDEX = { key: { customerId: 1, occurredAt: -1, _id: -1 }, name: 'customer_occurred' } as const;

/** One order event, as stored. */
export interface ActivityDoc {
  /** The event's id: a redelivered event writes the same document again. */
  _id: string;
  customerId: string;
  orderId: string;
  type: string;
  status: string;
  totalCents: number;
  occurredAt: Date;
}

/** MongoDB's NamespaceExists: the collection was created before. */
const NAMESPACE_EXISTS = 48;
/** MongoDB's NamespaceNotFound: no such collection (yet). */
const NAMESPACE_NOT_FOUND = 26;
/** MongoDB's AlreadyInitialized, which older servers answer to sharding a sharded collection. */
const ALREADY_INITIALIZED = 23;

/** Whether a shardCollection error says the collection is sharded already (a rerun). */
function isAlreadySharded(e: unknown): boolean {
  return e instanceof MongoServerError && (e.code === ALREADY_INITIALIZED || /already (been )?sharded|sharding already enabled/i.test(e.message));
}

export interface ActivitySetupOptions {
  /** Shard the collection (the server must shard: a DocumentDB elastic cluster or mongos). */
  sharded: boolean;
  /** Where the server is, for messages (never the password). */
  where: string;
}

/**
 * Idempotent: shards the collection (which creates it; "already sharded" is success), or creates
 * it unsharded, then creates the index. Returns what it did, for the tool's output.
 */
export async function setUpActivityCollection(db: Db, admin: Db, o: ActivitySetupOptions): Promise<string[]> {
  const done: string[] = [];
  const ns = `${db.databaseName}.${ACTIVITY_COLLECTION}`;
  if (o.sharded) {
    try {
      await admin.command({ shardCollection: ns, key: ACTIVITY_SHARD_KEY });
      done.push(`sharded ${ns} by hashed customerId`);
    } catch (e) {
      if (!isAlreadySharded(e)) {
        throw new Error(
          `ANALYTICS_MONGO_SHARDED is on, but the server at ${o.where} could not shard ${ns} (${(e as Error).message}): ` +
            'sharding needs a DocumentDB elastic cluster or a mongos; for a single server turn ANALYTICS_MONGO_SHARDED off',
        );
      }
    }
  } else {
    try {
      await db.createCollection(ACTIVITY_COLLECTION);
      done.push(`created ${ns}`);
    } catch (e) {
      if (!(e instanceof MongoServerError && e.code === NAMESPACE_EXISTS)) throw e;
    }
  }
  const indexes = await db
    .collection(ACTIVITY_COLLECTION)
    .indexes()
    .catch((e: unknown) => {
      if (e instanceof MongoServerError && e.code === NAMESPACE_NOT_FOUND) return [];
      throw e;
    });
  if (!indexes.some((i) => i.name === ACTIVITY_INDEX.name)) {
    await db.collection(ACTIVITY_COLLECTION).createIndex(ACTIVITY_INDEX.key, { name: ACTIVITY_INDEX.name });
    done.push(`indexed ${ns} by ${Object.keys(ACTIVITY_INDEX.key).join(', ')}`);
  }
  return done;
}
