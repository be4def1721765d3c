import { RegionSpec } from './spec';

/** The primary region, from the first phase on. */
export const US_EAST_1: RegionSpec = {
  region: 'us-east-1',
  role: 'primary',
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  vpcCidr: '10.10.0.0/16',
  natGateways: 1,
  flowLogRetentionDays: 90,
};

/** The second region, from the multi-region phase (70k) on. */
export const US_WEST_2: RegionSpec = {
  region: 'us-west-2',
  role: 'secondary',
  availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  vpcCidr: '10.20.0.0/16',
  natGateways: 3,
  flowLogRetentionDays: 90,
};

/** The third region, from the global phase (1m) on. */
export const EU_CENTRAL_1: RegionSpec = {
  region: 'eu-central-1',
  role: 'secondary',
  availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
  vpcCidr: '10.30.0.0/16',
  natGateways: 3,
  flowLogRetentionDays: 90,
};
