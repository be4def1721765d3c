import { RegionName } from '../phases';

/** Short region codes used in stack names. A table, so that names never depend on anything else. */
export const REGION_CODES: Readonly<Record<RegionName, string>> = {
  'us-east-1': 'use1',
  'us-west-2': 'usw2',
  'eu-central-1': 'euc1',
};

/**
 * A regional stack's name. It never contains the phase: deploying one phase over another
 * updates the same stacks.
 */
export function regionalStackName(region: RegionName, layer: string): string {
  return `orders-${REGION_CODES[region]}-${layer}`;
}

/**
 * The construct ID of a name from the spec or a table: each dash-separated word capitalised and
 * joined (`order` → `Order`, `order-shard` → `OrderShard`, `use1` → `Use1`). The one place such
 * IDs are made, so that the same name always gives the same ID (and so the same logical IDs).
 */
export function constructId(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
