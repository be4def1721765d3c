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
