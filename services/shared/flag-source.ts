/**
 * Where the feature flags are read (FLAGS_SOURCE): AWS AppConfig through AppConfigData (a
 * session, then the latest configuration at each poll), or a JSON file, as AppConfig returns a
 * feature-flag profile: `{ "<flag>": { "enabled": true } }`.
 */
import { readFile } from 'node:fs/promises';
import { AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import type { Config } from './config';

/** Flag values by key. */
export type FlagValues = ReadonlyMap<string, boolean>;

/** A place the flags are read from. */
export interface FlagSource {
  /** The values now, or undefined when they have not changed since the last read; throws when they cannot be read. */
  read(): Promise<FlagValues | undefined>;
}

/** AppConfig's least poll interval of a configuration session, in seconds. */
const APPCONFIG_MIN_POLL_SECONDS = 15;

/**
 * Parses what AppConfig returns for a feature-flag profile. A flag without a boolean `enabled`
 * is left out, so that its default applies; anything but a JSON object is refused.
 */
export function parseFlagValues(text: string): FlagValues {
  const doc: unknown = JSON.parse(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('feature flags: expected a JSON object of flags');
  const values = new Map<string, boolean>();
  for (const [key, flag] of Object.entries(doc as Record<string, unknown>)) {
    const enabled = flag !== null && typeof flag === 'object' ? (flag as { enabled?: unknown }).enabled : undefined;
    if (typeof enabled === 'boolean') values.set(key, enabled);
  }
  return values;
}

/** The application, environment and configuration profile, by name or ID. */
export interface AppConfigTarget {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
}

/**
 * AppConfigData: a configuration session started on the first read, then one GetLatestConfiguration
 * per read with the token the previous one returned. An empty body means unchanged. After any
 * failure the next read starts a new session (a token is single-use and expires in 24 hours), whose
 * first answer is the whole configuration.
 */
export class AppConfigFlagSource implements FlagSource {
  private token: string | undefined;

  constructor(
    private readonly client: AppConfigDataClient,
    private readonly target: AppConfigTarget,
    private readonly pollSeconds: number,
  ) {}

  async read(): Promise<FlagValues | undefined> {
    try {
      this.token ??= await this.startSession();
      const out = await this.client.send(new GetLatestConfigurationCommand({ ConfigurationToken: this.token }));
      this.token = out.NextPollConfigurationToken;
      const body = out.Configuration;
      if (!body || body.length === 0) return undefined;
      return parseFlagValues(Buffer.from(body).toString('utf8'));
    } catch (err) {
      this.token = undefined;
      throw err;
    }
  }

  private async startSession(): Promise<string> {
    const out = await this.client.send(
      new StartConfigurationSessionCommand({
        ApplicationIdentifier: this.target.application,
        EnvironmentIdentifier: this.target.environment,
        ConfigurationProfileIdentifier: this.target.profile,
        RequiredMinimumPollIntervalInSeconds: Math.max(APPCONFIG_MIN_POLL_SECONDS, Math.round(this.pollSeconds)),
      }),
    );
    if (!out.InitialConfigurationToken) throw new Error('AppConfigData started a session without a configuration token');
    return out.InitialConfigurationToken;
  }
}

/** A JSON file in AppConfig's form; unchanged content reads as unchanged. */
export class FileFlagSource implements FlagSource {
  private last: string | undefined;

  constructor(private readonly path: string) {}

  async read(): Promise<FlagValues | undefined> {
    const text = await readFile(this.path, 'utf8');
    if (text === this.last) return undefined;
    const values = parseFlagValues(text);
    this.last = text;
    return values;
  }
}

/** The source FLAGS_SOURCE names, or undefined when it is unset (the definitions' values only). */
export function flagSourceOf(cfg: Pick<Config, 'FLAGS_SOURCE' | 'FLAGS_POLL_MS' | 'AWS_REGION'>): FlagSource | undefined {
  const source = cfg.FLAGS_SOURCE;
  if (!source) return undefined;
  if (source.startsWith('file:')) return new FileFlagSource(source.slice('file:'.length));
  const [application, environment, profile] = source.slice('appconfig:'.length).split('/');
  // One attempt and a short timeout per read: the next poll is the retry, and a read never holds a request.
  const client = new AppConfigDataClient({ region: cfg.AWS_REGION, maxAttempts: 2, requestHandler: { requestTimeout: 3000, connectionTimeout: 2000 } });
  return new AppConfigFlagSource(client, { application, environment, profile }, cfg.FLAGS_POLL_MS / 1000);
}
