import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';

/**
 * Replaces each token in a string by a readable `<...>` name of what it resolves to
 * (`<Resource.Attribute>`, `<OtherStack:Resource>`): the same text on every synthesis, for the
 * review manifests and the hashes that name Jobs and roll pods.
 */
export function placeholders(stack: Stack, value: string): string {
  if (!Token.isUnresolved(value)) return value;
  const joined: unknown = Tokenization.reverseString(value)
    .mapTokens({ mapToken: (token) => describe(stack.resolve(token), producerOf(stack, token)) })
    .join(new Concatenate());
  return String(joined);
}

/** A JSON-like value with every string in it passed through {@link placeholders}. */
export function readable<T>(stack: Stack, value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'string' ? placeholders(stack, v) : v)) as T;
}

/** Joins string fragments in order. */
class Concatenate {
  join(left: unknown, right: unknown): unknown {
    return `${String(left)}${String(right)}`;
  }
}

/** The stack a reference token points into, when it is another stack than `stack`. */
function producerOf(stack: Stack, token: unknown): string | undefined {
  if (!Reference.isReference(token)) return undefined;
  const producer = Stack.of(token.target);
  return producer === stack ? undefined : producer.stackName;
}

function describe(resolved: unknown, producer?: string): string {
  if (typeof resolved === 'string' || typeof resolved === 'number') return String(resolved);
  const r = resolved as Record<string, unknown>;
  const inStack = producer ? `${producer}:` : '';
  if ('Ref' in r) return `<${inStack}${String(r.Ref)}>`;
  if ('Fn::GetAtt' in r) return `<${inStack}${(r['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::GetStackOutput' in r) {
    const o = r['Fn::GetStackOutput'] as { StackName: string; OutputName: string };
    return `<${o.StackName}:${o.OutputName}>`;
  }
  if ('Fn::Join' in r) {
    const [sep, parts] = r['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => describe(part)).join(sep);
  }
  if ('Fn::Sub' in r) return String(r['Fn::Sub']).replace(/\$\{([^}]+)\}/g, '<$1>');
  return '<deploy-time value>';
}
