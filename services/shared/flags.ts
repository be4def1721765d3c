/**
 * Feature flags through OpenFeature's server SDK: a provider that answers from the values last
 * read from FLAGS_SOURCE (flag-source.ts), read again every FLAGS_POLL_MS in the background.
 *
 * A flag read never waits on the network and never fails a request: until a read succeeds, and
 * whenever one fails, a flag has the last value read, or else its definition's own
 * (phases/flags.ts).
 */
import {
  ErrorCode,
  NOOP_PROVIDER,
  OpenFeature,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type Client,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { FlagKey } from '../../phases/flag-types';
import { FLAGS } from '../../phases/flags';
import type { FlagSource, FlagValues } from './flag-source';
import type { Logger } from './logger';

/** An OpenFeature provider over values held in memory, replaced as a whole by {@link update}. */
class PolledFlagProvider implements Provider {
  readonly metadata = { name: 'order-platform-flags' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private values: FlagValues = new Map();

  /** Takes newly read values; tells OpenFeature's handlers which flags changed. */
  update(values: FlagValues): string[] {
    const keys = new Set([...this.values.keys(), ...values.keys()]);
    const changed = [...keys].filter((k) => this.values.get(k) !== values.get(k));
    this.values = values;
    if (changed.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    return changed;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): Promise<ResolutionDetails<boolean>> {
    const value = this.values.get(flagKey);
    return Promise.resolve(value === undefined ? { value: defaultValue, reason: StandardResolutionReasons.DEFAULT } : { value, reason: StandardResolutionReasons.CACHED });
  }

  resolveStringEvaluation(_: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.mismatch(defaultValue));
  }

  resolveNumberEvaluation(_: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.mismatch(defaultValue));
  }

  resolveObjectEvaluation<T extends JsonValue>(_: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.mismatch(defaultValue));
  }

  /** Every flag here is a boolean. */
  private mismatch<T>(defaultValue: T): ResolutionDetails<T> {
    return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH };
  }
}

let domains = 0;

/** Props for {@link Flags}. */
export interface FlagsOptions {
  /** Where the values are read; undefined: the definitions' values only. */
  readonly source?: FlagSource;
  /** How often the source is read again. */
  readonly pollMs: number;
  readonly log: Logger;
  /** OpenFeature domain prefix: each instance binds its own provider, so that processes hosting several runtimes keep them apart. */
  readonly name: string;
}

/** The process's feature flags. */
export class Flags {
  private readonly provider = new PolledFlagProvider();
  private readonly client: Client;
  private readonly domain: string;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly options: FlagsOptions) {
    this.domain = `${options.name}-${++domains}`;
    OpenFeature.setProvider(this.domain, this.provider);
    this.client = OpenFeature.getClient(this.domain);
  }

  /** Whether a flag is on: its last value read, or its definition's. Never throws. */
  enabled(key: FlagKey): Promise<boolean> {
    return this.client.getBooleanValue(key, FLAGS.definitions[key].enabled);
  }

  /** Reads the source now and then every `pollMs`. */
  start(): void {
    if (!this.options.source || this.timer || this.stopped) return;
    void this.refresh().finally(() => this.schedule());
  }

  /** Reads the source once; a failure keeps the values held and is logged once until a read succeeds. */
  refresh(): Promise<void> {
    const source = this.options.source;
    if (!source) return Promise.resolve();
    // A source that throws at once is a failed read too.
    this.reading ??= Promise.resolve()
      .then(() => source.read())
      .then(
        (values) => {
          if (this.failing) this.options.log.info('feature flags read again');
          this.failing = false;
          if (!values) return;
          const changed = this.provider.update(values);
          if (changed.length > 0) this.options.log.info({ changed: Object.fromEntries(changed.map((k) => [k, values.get(k) ?? null])) }, 'feature flags changed');
        },
        (err: unknown) => {
          if (!this.failing) this.options.log.warn({ err }, 'feature flags could not be read; keeping the values held');
          this.failing = true;
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule()), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
    OpenFeature.setProvider(this.domain, NOOP_PROVIDER);
  }
}
