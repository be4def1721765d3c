/**
 * Database credentials read at run time, so that a rotated password reaches new connections
 * without a restart.
 *
 * A PostgreSQL URL may name where its user and password are read with a `credentials`
 * parameter: a Secrets Manager secret ARN (read in the ARN's region; the platform's
 * alternating-users rotation switches it between two users, each valid until the rotation after
 * next), or the path of a JSON file with the same `username` and `password` fields. The URL's own
 * user and password are then ignored by the services; the schema tool connects with them (the
 * admin) and creates the user the source names.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** A database login. */
export interface DbCredentials {
  readonly user: string;
  readonly password: string;
}

/** Where a pool reads the login of each new connection. */
export interface CredentialSource {
  /** What the source is, for messages (never the secret itself). */
  readonly description: string;
  /** The current login: read from the source, or reused while younger than the source's maximum age. */
  get(): Promise<DbCredentials>;
  /** Forgets the reused login, so that the next {@link get} reads the source (after an authentication failure). */
  invalidate(): void;
}

/** The URL parameter that names a credential source. */
const CREDENTIALS_PARAMETER = 'credentials';

/**
 * How long a login read from Secrets Manager is reused for new connections. After a rotation the
 * previous user stays valid until the next one, so this only bounds how long the old user stays in
 * use; it keeps GetSecretValue calls to one per secret and process every five minutes.
 */
const SECRETS_MANAGER_MAX_AGE_MS = 300_000;

/**
 * Parses a secret's JSON document (Secrets Manager's RDS format: `username`, `password`, ...).
 * With `user`, a secret that is not a JSON document is a bare password for that user (the
 * DocumentDB elastic cluster's admin secret: AuthType SECRET_ARN takes a plain-string secret).
 */
export function parseCredentials(text: string, description: string, user?: string): DbCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    if (user !== undefined) return { user, password: text };
    throw new Error(`${description}: not a JSON document`);
  }
  if (user !== undefined && (typeof doc !== 'object' || doc === null)) return { user, password: text };
  const { username, password } = (doc ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || username === '') throw new Error(`${description}: no "username" field`);
  if (typeof password !== 'string') throw new Error(`${description}: no "password" field`);
  return { user: username, password };
}

/**
 * A source over a reader: reuses the last login for `maxAgeMs`, shares one read between concurrent
 * callers, and keeps serving the last login when a read fails (a brief Secrets Manager outage must
 * not stop new connections while the login it gave is still valid).
 */
export class CachedCredentials implements CredentialSource {
  private last: { value: DbCredentials; at: number } | undefined;
  private reading: Promise<DbCredentials> | undefined;

  constructor(
    readonly description: string,
    private readonly read: () => Promise<DbCredentials>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<DbCredentials> {
    const last = this.last;
    if (last && this.now() - last.at < this.maxAgeMs) return Promise.resolve(last.value);
    this.reading ??= this.read()
      .then(
        (value) => {
          this.last = { value, at: this.now() };
          return value;
        },
        (error: unknown) => {
          if (last) return last.value;
          throw error;
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  invalidate(): void {
    this.last = undefined;
  }
}

/** A JSON file with `username` and `password`, read for every new connection (a local file read is cheap beside a TLS handshake). */
function fileCredentials(file: string, user?: string): CredentialSource {
  const description = `credentials file ${file}`;
  return new CachedCredentials(description, async () => parseCredentials((await readFile(file, 'utf8')).replace(/\n$/, ''), description, user), 0);
}

const clients = new Map<string, SecretsManagerClient>();

/**
 * The ARN of a secret as read here: in SECRETS_REGION when set (a secondary region reads its own
 * replica of the primary region's secret, which outlives the primary region), else as given.
 */
function secretInRegion(arn: string, region: string | undefined = process.env.SECRETS_REGION): string {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'secretsmanager' || !parts[3]) {
    throw new Error(`credentials=${arn}: not a Secrets Manager ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`);
  }
  if (region) parts[3] = region;
  return parts.join(':');
}

/** A Secrets Manager secret's current version (AWSCURRENT), in the ARN's region or SECRETS_REGION; `user` logs in with a bare-password secret. */
function secretsManagerCredentials(given: string, maxAgeMs = SECRETS_MANAGER_MAX_AGE_MS, user?: string): CredentialSource {
  const arn = secretInRegion(given);
  const region = arn.split(':')[3];
  const description = `secret ${arn}`;
  return new CachedCredentials(
    description,
    async () => {
      let client = clients.get(region);
      if (!client) {
        client = new SecretsManagerClient({ region });
        clients.set(region, client);
      }
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined) throw new Error(`${description}: has no secret string`);
      return parseCredentials(out.SecretString, description, user);
    },
    maxAgeMs,
  );
}

/** The source a `credentials` value names: an ARN (Secrets Manager) or a file path; `user` is the login of a bare-password secret. */
export function credentialSource(value: string, user?: string): CredentialSource {
  return value.startsWith('arn:') ? secretsManagerCredentials(value, SECRETS_MANAGER_MAX_AGE_MS, user) : fileCredentials(value, user);
}

/** A PostgreSQL URL split into the connection string pg receives and the credential source it names, if any. */
export function splitCredentials(url: string): { connectionString: string; source?: string } {
  const q = url.indexOf('?');
  if (q < 0) return { connectionString: url };
  const params = new URLSearchParams(url.slice(q + 1));
  const source = params.get(CREDENTIALS_PARAMETER);
  if (source === null) return { connectionString: url };
  params.delete(CREDENTIALS_PARAMETER);
  const rest = params.toString();
  return { connectionString: url.slice(0, q) + (rest ? `?${rest}` : ''), source };
}

/** The other user of an alternating-users rotation: `name` and `name_clone`, as Secrets Manager's rotation function names them. */
export function alternateUser(user: string): string {
  return user.endsWith('_clone') ? user.slice(0, -'_clone'.length) : `${user}_clone`;
}
