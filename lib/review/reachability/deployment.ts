import { TemplateJson } from '../upgrade-review';

/** One stack as deployed: its name, region and template, and the construct path of each logical ID. */
export interface StackTemplate {
  readonly name: string;
  readonly region: string;
  readonly template: TemplateJson;
  /** Construct paths by logical ID (from the assembly's metadata); the template's `aws:cdk:path` is used otherwise. */
  readonly paths?: ReadonlyMap<string, string>;
}

/** Every stack of a deployment, in any number of regions. */
export interface DeploymentTemplates {
  readonly stacks: readonly StackTemplate[];
}

/** A resource of one stack. */
export interface ResourceRef {
  readonly stack: string;
  readonly id: string;
}

/** A deploy-time value that names a resource: `Ref` (no attribute) or `Fn::GetAtt`. */
export interface AttributePart {
  readonly ref: ResourceRef;
  readonly attribute?: string;
}

/** A deploy-time value that names no resource (account ID, partition, an unsupported function). */
export interface OpaquePart {
  readonly opaque: string;
}

/** A piece of a string as deployed: literal text, a resource's attribute, or something else. */
export type Part = string | AttributePart | OpaquePart;

/** A resource with its stack's context. */
export interface Resource {
  readonly ref: ResourceRef;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly region: string;
  /** Construct path, or `stack/logicalId` when none is recorded. */
  readonly path: string;
}

export function isAttribute(part: Part): part is AttributePart {
  return typeof part === 'object' && 'ref' in part;
}

export function sameRef(a: ResourceRef, b: ResourceRef): boolean {
  return a.stack === b.stack && a.id === b.id;
}

export function refKey(ref: ResourceRef): string {
  return `${ref.stack}/${ref.id}`;
}

/**
 * Attributes whose value is a property of the resource, so that it can be read without deploying
 * (a VPC's CIDR, a database's port).
 */
const LITERAL_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'AWS::EC2::VPC': { CidrBlock: 'CidrBlock' },
  'AWS::EC2::Subnet': { CidrBlock: 'CidrBlock' },
  'AWS::RDS::DBInstance': { 'Endpoint.Port': 'Port' },
  'AWS::RDS::DBCluster': { 'Endpoint.Port': 'Port' },
  'AWS::DocDB::DBCluster': { Port: 'Port' },
  'AWS::ElastiCache::ReplicationGroup': {
    'ConfigurationEndPoint.Port': 'Port',
    'PrimaryEndPoint.Port': 'Port',
    'ReaderEndPoint.Port': 'Port',
  },
};

const PSEUDO = /^AWS::/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Joins adjacent literal pieces. */
function merge(parts: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = last + part;
    else if (part !== '') out.push(part);
  }
  return out;
}

/** Strips the construct-library suffixes that add nothing to a reader (`/Resource`, `/Resource/Default`). */
function readablePath(path: string): string {
  return path.replace(/^\//, '').replace(/(?:\/(?:Resource|Default))+$/, '');
}

/**
 * The resources of every stack of a deployment, and the resolution of CloudFormation values
 * (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`/`Fn::Split`, and the CDK's
 * cross-stack `Fn::GetStackOutput`) down to literals and resource attributes.
 */
export class Deployment {
  private readonly stacks = new Map<string, StackTemplate>();
  private readonly byType = new Map<string, Resource[]>();

  constructor(input: DeploymentTemplates) {
    for (const stack of input.stacks) {
      this.stacks.set(stack.name, stack);
      for (const [id, resource] of Object.entries(stack.template.Resources ?? {})) {
        const metadataPath = (resource as { Metadata?: Record<string, unknown> }).Metadata?.['aws:cdk:path'];
        const path = stack.paths?.get(id) ?? (typeof metadataPath === 'string' ? metadataPath : `${stack.name}/${id}`);
        const entry: Resource = { ref: { stack: stack.name, id }, type: resource.Type, properties: resource.Properties ?? {}, region: stack.region, path: readablePath(path) };
        const list = this.byType.get(resource.Type) ?? [];
        list.push(entry);
        this.byType.set(resource.Type, list);
      }
    }
  }

  /** Every resource of the given types, in stack order. */
  resources(...types: string[]): Resource[] {
    return types.flatMap((type) => this.byType.get(type) ?? []);
  }

  /** Every resource whose type starts with a prefix (custom resources: `Custom::`). */
  resourcesLike(prefix: string): Resource[] {
    return [...this.byType.entries()].filter(([type]) => type.startsWith(prefix)).flatMap(([, list]) => list);
  }

  resource(ref: ResourceRef): Resource | undefined {
    const raw = this.stacks.get(ref.stack)?.template.Resources?.[ref.id];
    if (!raw) return undefined;
    return (this.byType.get(raw.Type) ?? []).find((r) => r.ref.id === ref.id && r.ref.stack === ref.stack);
  }

  region(stack: string): string | undefined {
    return this.stacks.get(stack)?.region;
  }

  /** A readable name of a resource: its construct path. */
  describe(ref: ResourceRef): string {
    return this.resource(ref)?.path ?? refKey(ref);
  }

  /** A value as a sequence of literal text and resource attributes. */
  parts(stack: string, value: unknown): Part[] {
    return merge(this.flatten(stack, value, 0));
  }

  /** The resource attributes a value (or each element of a list) names. */
  attributes(stack: string, value: unknown): AttributePart[] {
    const values = Array.isArray(value) ? value : [value];
    return values.flatMap((v) => this.parts(stack, v).filter(isAttribute));
  }

  /** The one resource attribute a value names, if it names exactly one and nothing else. */
  attribute(stack: string, value: unknown): AttributePart | undefined {
    const parts = this.parts(stack, value);
    return parts.length === 1 && isAttribute(parts[0]) ? parts[0] : undefined;
  }

  /** A value as literal text, when it can be known without deploying. */
  literal(stack: string, value: unknown): string | undefined {
    const parts = this.parts(stack, value);
    const texts = parts.map((p) => (typeof p === 'string' ? p : isAttribute(p) ? this.literalAttribute(p) : undefined));
    return texts.every((t): t is string => t !== undefined) ? texts.join('') : undefined;
  }

  /** A value as a number (ports), when it can be known without deploying. */
  number(stack: string, value: unknown): number | undefined {
    const text = this.literal(stack, value);
    return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
  }

  private literalAttribute(part: AttributePart): string | undefined {
    const resource = this.resource(part.ref);
    const property = resource && part.attribute ? LITERAL_ATTRIBUTES[resource.type]?.[part.attribute] : undefined;
    return property && resource ? this.literal(resource.ref.stack, resource.properties[property]) : undefined;
  }

  private flatten(stack: string, value: unknown, depth: number): Part[] {
    if (depth > 50) return [{ opaque: 'too deep' }];
    if (typeof value === 'string') return [value];
    if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
    if (!isObject(value)) return [{ opaque: JSON.stringify(value) ?? 'undefined' }];
    const [fn] = Object.keys(value);
    const arg = value[fn];
    switch (fn) {
      case 'Ref':
        return [this.ref(stack, String(arg))];
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s);
        return [{ ref: { stack, id }, attribute }];
      }
      case 'Fn::GetStackOutput': {
        const o = arg as { StackName: string; OutputName: string };
        const producer = this.stacks.get(o.StackName);
        const output = (producer?.template.Outputs as Record<string, { Value: unknown }> | undefined)?.[o.OutputName];
        return output ? this.flatten(o.StackName, output.Value, depth + 1) : [{ opaque: `${o.StackName}:${o.OutputName}` }];
      }
      case 'Fn::ImportValue': {
        const name = this.literal(stack, arg);
        for (const s of this.stacks.values()) {
          for (const output of Object.values((s.template.Outputs ?? {}) as Record<string, { Value: unknown; Export?: { Name: unknown } }>)) {
            if (name !== undefined && output.Export && this.literal(s.name, output.Export.Name) === name) return this.flatten(s.name, output.Value, depth + 1);
          }
        }
        return [{ opaque: `import ${name ?? '?'}` }];
      }
      case 'Fn::Join': {
        const [separator, items] = arg as [string, unknown];
        const list = Array.isArray(items) ? items : [items];
        return list.flatMap((item, i) => [...(i > 0 ? [separator] : []), ...this.flatten(stack, item, depth + 1)]);
      }
      case 'Fn::Base64':
        return this.flatten(stack, arg, depth + 1);
      case 'Fn::Sub':
        return this.substitute(stack, arg, depth);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const i = this.number(stack, index) ?? 0;
        if (Array.isArray(list)) return this.flatten(stack, list[i], depth + 1);
        if (isObject(list) && 'Fn::Split' in list) {
          const [separator, source] = list['Fn::Split'] as [string, unknown];
          const parts = merge(this.flatten(stack, source, depth + 1));
          if (parts.every((p) => typeof p === 'string')) return [parts.join('').split(separator)[i] ?? ''];
          // A piece of an attribute (the host of `host:port`) still names the resource.
          const named = parts.filter(isAttribute);
          return named.length === 1 ? [named[0]] : [{ opaque: 'Fn::Select' }];
        }
        return [{ opaque: 'Fn::Select' }];
      }
      default:
        return [{ opaque: fn }];
    }
  }

  private ref(stack: string, name: string): Part {
    if (name === 'AWS::Region') return this.stacks.get(stack)?.region ?? { opaque: name };
    if (PSEUDO.test(name)) return { opaque: name };
    const template = this.stacks.get(stack)?.template;
    if (template?.Resources?.[name]) return { ref: { stack, id: name } };
    const parameter = (template?.Parameters as Record<string, { Default?: unknown }> | undefined)?.[name];
    return { opaque: parameter?.Default !== undefined ? `parameter ${name}` : name };
  }

  private substitute(stack: string, arg: unknown, depth: number): Part[] {
    const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    const parts: Part[] = [];
    let last = 0;
    for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      parts.push(text.slice(last, m.index));
      const name = m[1];
      if (name in variables) parts.push(...this.flatten(stack, variables[name], depth + 1));
      else if (name.includes('.') && !PSEUDO.test(name)) {
        const dot = name.indexOf('.');
        parts.push({ ref: { stack, id: name.slice(0, dot) }, attribute: name.slice(dot + 1) });
      } else parts.push(this.ref(stack, name));
      last = (m.index ?? 0) + m[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  }
}

const TOKEN = /\u27e6(\d+)\u27e7/g;

/**
 * A value as text with a placeholder for each deploy-time piece, so that a JSON document or a
 * file written with deploy-time values inside (a manifest, user data) can be parsed as text.
 */
export interface EncodedText {
  readonly text: string;
  readonly tokens: readonly Part[];
}

export function encode(parts: readonly Part[]): EncodedText {
  const tokens: Part[] = [];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      tokens.push(p);
      return `\u27e6${tokens.length - 1}\u27e7`;
    })
    .join('');
  return { text, tokens };
}

/** The parts of a string that came out of {@link encode}d text. */
export function decode(text: string, tokens: readonly Part[]): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    parts.push(text.slice(last, m.index), tokens[Number(m[1])]);
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(text.slice(last));
  return merge(parts);
}

/** Splits parts into lines (or any separator) of the literal text; deploy-time pieces stay whole. */
export function splitParts(parts: readonly Part[], separator: string): Part[][] {
  const out: Part[][] = [[]];
  for (const part of parts) {
    if (typeof part !== 'string') {
      out[out.length - 1].push(part);
      continue;
    }
    part.split(separator).forEach((piece, i) => {
      if (i > 0) out.push([]);
      if (piece) out[out.length - 1].push(piece);
    });
  }
  return out;
}

/** `NAME=value` (quotes around the value removed) when a line is such an assignment. */
export function assignment(line: readonly Part[], name: RegExp): { name: string; value: Part[] } | undefined {
  const first = line[0];
  if (typeof first !== 'string') return undefined;
  const eq = first.indexOf('=');
  if (eq < 0) return undefined;
  const key = first.slice(0, eq).trim();
  if (!name.test(key)) return undefined;
  const value = merge([first.slice(eq + 1).trimStart(), ...line.slice(1)]);
  const head = value[0];
  const tail = value[value.length - 1];
  if (typeof head === 'string' && typeof tail === 'string' && head.startsWith('"') && tail.endsWith('"') && (value.length > 1 || head.length > 1)) {
    value[0] = head.slice(1);
    value[value.length - 1] = (value.length > 1 ? tail : value[0]).slice(0, -1);
  }
  return { name: key, value: merge(value) };
}
