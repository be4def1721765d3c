import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** An entry's record of what it was built from: each input's path (relative to the root) and SHA-256. */
const INPUTS_FILE = 'inputs.json';
/** The built files of an entry. */
const FILES_DIR = 'files';
/** Entries being written; renamed into place when whole. */
const STAGING_PREFIX = '.new-';
/** Entries being removed; renamed out of place first, so that no reader sees half of one. */
const TRASH_PREFIX = '.old-';
/** A staging folder older than this was left by a process that died; it is removed. */
const ABANDONED_MS = 60 * 60 * 1000;

/** Where built artefacts are kept and how many. */
export interface BuildCacheProps {
  /** The folder holding the entries (created on first use). */
  readonly dir: string;
  /** The folder that recorded input paths are relative to (the repository). */
  readonly root: string;
  /**
   * How many entries are kept; the least recently used beyond this are removed.
   * @default 3
   */
  readonly maxEntries?: number;
}

/**
 * Built artefacts kept between processes, one entry per key (a hash of what they are built from).
 * Each entry also records the SHA-256 of every file the build read, and is used only while all
 * of them are unchanged: a source that the key does not cover still forces a rebuild. Entries
 * are written to a staging folder and renamed into place, so a reader finds a whole entry or
 * none, and concurrent writers of one key leave one whole entry. A cache that cannot be read or
 * written is a cache miss, never an error: the caller builds.
 */
export class BuildCache {
  private readonly dir: string;
  private readonly root: string;
  private readonly maxEntries: number;

  constructor(props: BuildCacheProps) {
    this.dir = props.dir;
    this.root = props.root;
    this.maxEntries = props.maxEntries ?? 3;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new Error(`BuildCache maxEntries = ${this.maxEntries}: must be a whole number of at least 1`);
    }
  }

  /** The folder of `key`'s entry. */
  entryDir(key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`BuildCache key = ${JSON.stringify(key)}: must be a lowercase hex digest (16 to 128 characters)`);
    return path.join(this.dir, key);
  }

  /**
   * Copies `key`'s files into `target` (an existing, empty folder) when the entry exists and
   * every input it was built from is unchanged. Returns whether it did.
   */
  restore(key: string, target: string): boolean {
    const entry = this.entryDir(key);
    let recorded: Record<string, string>;
    try {
      recorded = JSON.parse(fs.readFileSync(path.join(entry, INPUTS_FILE), 'utf8')) as Record<string, string>;
    } catch {
      return false;
    }
    for (const [file, digest] of Object.entries(recorded)) {
      if (this.digest(file) !== digest) return false;
    }
    try {
      fs.cpSync(path.join(entry, FILES_DIR), target, { recursive: true });
      const now = new Date();
      fs.utimesSync(entry, now, now);
      return true;
    } catch {
      // Replaced or removed by another process meanwhile: the target is left empty for the build.
      for (const name of fs.readdirSync(target)) fs.rmSync(path.join(target, name), { recursive: true, force: true });
      return false;
    }
  }

  /**
   * Keeps a copy of the files in `source` as `key`'s entry, with the digests of `inputs` (paths
   * relative to the root, every file the build read). Replaces an entry of the same key (its
   * inputs have changed) and removes the least recently used entries beyond the limit.
   * Returns whether the entry was written.
   */
  store(key: string, source: string, inputs: readonly string[]): boolean {
    const entry = this.entryDir(key);
    let staging: string | undefined;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      staging = fs.mkdtempSync(path.join(this.dir, STAGING_PREFIX));
      const digests = Object.fromEntries([...inputs].sort().map((file) => [file, this.digest(file)]));
      fs.cpSync(source, path.join(staging, FILES_DIR), { recursive: true });
      fs.writeFileSync(path.join(staging, INPUTS_FILE), `${JSON.stringify(digests, undefined, 1)}\n`);
      this.remove(entry);
      fs.renameSync(staging, entry);
      staging = undefined;
    } catch {
      // Another writer put its entry in place first, or the folder is not writable.
      return false;
    } finally {
      if (staging) fs.rmSync(staging, { recursive: true, force: true });
    }
    try {
      this.prune(key);
    } catch {
      // Another process is pruning at the same time.
    }
    return true;
  }

  /** The SHA-256 of a file below the root, or `missing`. */
  private digest(file: string): string {
    try {
      return createHash('sha256').update(fs.readFileSync(path.join(this.root, file))).digest('hex');
    } catch {
      return 'missing';
    }
  }

  /** Removes an entry: renamed out of place first, then deleted. */
  private remove(entry: string): void {
    if (!fs.existsSync(entry)) return;
    const trash = `${path.join(path.dirname(entry), TRASH_PREFIX)}${path.basename(entry)}-${process.pid}-${Date.now()}`;
    fs.renameSync(entry, trash);
    fs.rmSync(trash, { recursive: true, force: true });
  }

  /** Removes entries beyond the limit (least recently used first, never `keep`) and abandoned staging folders. */
  private prune(keep: string): void {
    const now = Date.now();
    const entries: { name: string; used: number }[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const full = path.join(this.dir, name);
      const used = fs.statSync(full, { throwIfNoEntry: false })?.mtimeMs;
      if (used === undefined) continue;
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(TRASH_PREFIX)) {
        if (now - used > ABANDONED_MS) fs.rmSync(full, { recursive: true, force: true });
      } else if (name !== keep) {
        entries.push({ name, used });
      }
    }
    entries.sort((a, b) => b.used - a.used);
    for (const { name } of entries.slice(this.maxEntries - 1)) this.remove(path.join(this.dir, name));
  }
}
