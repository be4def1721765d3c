import * as fs from 'fs';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseAllDocuments } from 'yaml';
import { MANIFEST_DIR } from '../k8s/review-manifests';

/** A Kubernetes object added, removed or changed by a move, in one compute stack's manifests. */
export interface ManifestChange {
  readonly stack: string;
  readonly action: 'add' | 'remove' | 'change';
  /** `Kind namespace/name`. */
  readonly object: string;
  /** For a change: the fields that differ, e.g. `spec.maxReplicas 6 → 8`. */
  readonly fields: readonly string[];
}

type Manifest = { kind?: string; metadata?: { name?: string; namespace?: string } } & Record<string, unknown>;

/** The objects of each compute stack's manifests (written beside the assembly for review), by stack. */
function manifestsOf(assembly: CloudAssembly): Map<string, Map<string, Manifest>> {
  const dir = path.join(assembly.directory, MANIFEST_DIR);
  const stacks = new Map<string, Map<string, Manifest>>();
  if (!fs.existsSync(dir)) return stacks;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const objects = new Map<string, Manifest>();
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const m = doc.toJSON() as Manifest | null;
      if (m?.kind) objects.set(`${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name ?? ''}`, m);
    }
    stacks.set(file.replace(/\.yaml$/, ''), objects);
  }
  return stacks;
}

const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? (v.length > 40 ? `${v.slice(0, 37)}...` : v) : JSON.stringify(v).slice(0, 40));

/** Leaf paths whose values differ between two objects. */
function differences(before: unknown, after: unknown, at: string, out: string[]): void {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) differences(before[key], after[key], at ? `${at}.${key}` : key, out);
  } else if (JSON.stringify(before) !== JSON.stringify(after)) {
    out.push(`${at} ${show(before)} → ${show(after)}`);
  }
}

/** The Kubernetes objects a move adds, removes and changes, stack by stack. */
export function manifestChanges(from: CloudAssembly, to: CloudAssembly): ManifestChange[] {
  const before = manifestsOf(from);
  const after = manifestsOf(to);
  const changes: ManifestChange[] = [];
  for (const stack of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(stack) ?? new Map<string, Manifest>();
    const now = after.get(stack) ?? new Map<string, Manifest>();
    for (const [object, manifest] of now) {
      const previous = old.get(object);
      if (!previous) {
        changes.push({ stack, action: 'add', object, fields: [] });
        continue;
      }
      const fields: string[] = [];
      differences(previous, manifest, '', fields);
      if (fields.length) changes.push({ stack, action: 'change', object, fields });
    }
    for (const object of old.keys()) if (!now.has(object)) changes.push({ stack, action: 'remove', object, fields: [] });
  }
  return changes;
}
