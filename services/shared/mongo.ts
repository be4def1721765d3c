/**
 * A MongoDB / DocumentDB connection whose password is read at run time, like the PostgreSQL pools
 * (credentials.ts): the URL's `credentials` parameter names the source, the URL's user name is the
 * login of a source that holds only a password. A command refused for its login reads the source
 * again, reconnects and runs once more, so a changed password reaches the process without a restart.
 */
import { MongoClient, MongoServerError, type Db, type MongoClientOptions } from 'mongodb';
import { credentialSource, splitCredentials, type CredentialSource } from './credentials';

/** MongoDB's error code of a refused login (AuthenticationFailed). */
const AUTHENTICATION_FAILED = 18;

/** Whether `e` is a login the server refused (a stale password). */
function isAuthenticationFailure(e: unknown): boolean {
  for (let x: unknown = e; x instanceof Error; x = (x as Error & { cause?: unknown }).cause) {
    if ((x instanceof MongoServerError && x.code === AUTHENTICATION_FAILED) || /authentication failed/i.test(x.message)) return true;
  }
  return false;
}

/** A MongoDB URL split into the driver's URL (no user information, no `credentials`), its user name and its credential source. */
export function splitMongoUrl(url: string): { url: string; user?: string; source?: string } {
  const { connectionString, source } = splitCredentials(url);
  const m = /^(mongodb(?:\+srv)?:\/\/)(?:([^@/]*)@)?(.*)$/.exec(connectionString);
  if (!m) throw new Error('not a mongodb:// URL');
  if (source === undefined) return { url: connectionString };
  const user = m[2] ? decodeURIComponent(m[2].split(':')[0]) : undefined;
  return { url: m[1] + m[3], ...(user ? { user } : {}), source };
}

export interface MongoConnectionOptions {
  maxPoolSize: number;
  serverSelectionTimeoutMS?: number;
  /** Driver options besides the pool and the login (command monitoring in tests). */
  driver?: MongoClientOptions;
}

/** One database of a MongoDB server, reached with the current login. */
export class MongoConnection {
  private client: Promise<MongoClient> | undefined;
  private readonly url: string;
  private readonly credentials: CredentialSource | undefined;

  constructor(
    url: string,
    readonly dbName: string,
    private readonly o: MongoConnectionOptions,
  ) {
    const split = splitMongoUrl(url);
    this.url = split.url;
    this.credentials = split.source !== undefined ? credentialSource(split.source, split.user) : undefined;
  }

  /** The connected client (connected on first use). */
  connect(): Promise<MongoClient> {
    this.client ??= (async () => {
      const login = await this.credentials?.get();
      const client = new MongoClient(this.url, {
        serverSelectionTimeoutMS: this.o.serverSelectionTimeoutMS ?? 5000,
        maxPoolSize: this.o.maxPoolSize,
        ...this.o.driver,
        ...(login ? { auth: { username: login.user, password: login.password } } : {}),
      });
      return client.connect();
    })();
    const current = this.client;
    current.catch(() => {
      if (this.client === current) this.client = undefined;
    });
    return current;
  }

  /** Runs `fn` on the database; a refused login reads the credentials again and runs it once more. */
  async run<T>(fn: (db: Db, client: MongoClient) => Promise<T>): Promise<T> {
    try {
      const client = await this.connect();
      return await fn(client.db(this.dbName), client);
    } catch (e) {
      if (!this.credentials || !isAuthenticationFailure(e)) throw e;
      this.credentials.invalidate();
      const stale = this.client;
      this.client = undefined;
      void stale?.then((c) => c.close()).catch(() => undefined);
      const client = await this.connect();
      return fn(client.db(this.dbName), client);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await (await c?.catch(() => undefined))?.close();
  }
}
