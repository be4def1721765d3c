import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { CONDITIONAL_IN_PLACE, NESTED_CREATE_ONLY, STATEFUL_TYPES, TemplateJson } from '../../../lib/review/upgrade-review';

type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>;
let database: SpecDatabase | undefined;
const replacingByType = new Map<string, readonly string[]>();

/**
 * The top-level properties whose change replaces a resource of this type ('yes' or 'maybe' in
 * the CloudFormation resource specification, the data `cdk diff` reads), less those that the
 * upgrade review knows CloudFormation always applies in place.
 */
function replacingProperties(type: string): readonly string[] {
  let names = replacingByType.get(type);
  if (!names) {
    database ??= loadAwsServiceSpecSync();
    const resource = database.lookup('resource', 'cloudFormationType', 'equals', type)[0];
    if (!resource) throw new Error(`Resource type ${type} is not in the CloudFormation resource specification.`);
    names = Object.entries(resource.properties)
      .filter(([, property]) => property.causesReplacement === 'yes' || property.causesReplacement === 'maybe')
      .map(([name]) => name)
      .filter((name) => CONDITIONAL_IN_PLACE[type]?.[name] !== true)
      .sort();
    replacingByType.set(type, names);
  }
  return names;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), root);
}

/** Asset hashes change whenever a bundle is rebuilt; the inventory keeps the reference, not the hash. */
function normalized(value: unknown): string {
  return JSON.stringify(value).replace(/[0-9a-f]{64}/g, '<asset-hash>');
}

/**
 * A stack's resource inventory, one line per resource: logical ID and type, sorted by logical ID.
 * A stateful resource (`STATEFUL_TYPES`) is followed by the values of the properties whose change
 * would replace it, one indented line each, so that a change which would replace a database on
 * upgrade shows in the diff even when every behaviour test still passes.
 */
export function resourceInventory(template: TemplateJson): string {
  const lines: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {}).sort(([a], [b]) => a.localeCompare(b, 'en'))) {
    lines.push(`${logicalId} ${resource.Type}`);
    if (!STATEFUL_TYPES.has(resource.Type)) continue;
    const paths = [...replacingProperties(resource.Type).map((name) => [name]), ...(NESTED_CREATE_ONLY[resource.Type] ?? [])];
    for (const path of paths) {
      const value = valueAt(resource.Properties, path);
      if (value !== undefined) lines.push(`  ${path.join('.')}: ${normalized(value)}`);
    }
  }
  return lines.join('\n');
}
