import { PhaseSpec } from '../../phases';
import { TRAFFIC_MODEL } from '../../phases/capacity';
import { CostLine } from './estimate';
import { HOURS_PER_MONTH } from './prices';

/**
 * What crosses regions in a multi-region phase, per order and per request, and what it costs.
 * Sizes are estimates of this system's own records, named here once; prices are AWS list prices
 * (re-check before relying on them).
 */
const INTER_REGION_MODEL = {
  /**
   * PostgreSQL WAL per order shipped to each cross-region replica: the order, its items, its outbox
   * row, the saga's status updates, the stock reservation and commit, payment and shipment rows,
   * their index entries, with WAL record overhead.
   */
  walBytesPerOrder: 24_000,
  /** Kafka events per order (placed, reserved, captured, shipped, status changes, stock) mirrored by MirrorMaker 2. */
  eventsPerOrder: 8,
  /** One event as stored, with its key, headers and batch overhead. */
  eventBytes: 1_000,
  /** Cache entries invalidated or written per order (stock, order markers) replicated by the Global Datastore. */
  cacheBytesPerOrder: 2_000,
  /** A forwarded write: the request and its answer, with headers, over a kept-alive connection. */
  forwardedWriteBytes: 6_000,
  /** A visitor-count update sent home, in batches of one per second. */
  visitorBytesPerRequest: 40,
  /** Data transfer between AWS regions, per GB (us-east-1 to us-west-2 or eu-central-1, both ways). */
  transferUsdPerGb: 0.02,
  /** A Transit Gateway attachment (VPC or peering), per hour. */
  transitGatewayAttachmentHourly: 0.05,
  /** Transit Gateway data processing, per GB sent through it. */
  transitGatewayUsdPerGb: 0.02,
} as const;

/** The monthly inter-region traffic and cost of a phase. */
export interface InterRegionCost {
  /** GB a month that cross regions (replication out of the primary plus writes and counts sent home). */
  readonly gbPerMonth: number;
  /** What that transfer costs over VPC peering (no hourly charge). */
  readonly peeringUsd: number;
  /** The same traffic over Transit Gateway: attachments (a VPC and peering attachments per region) plus processing. */
  readonly transitGatewayUsd: number;
}

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Inter-region traffic at the phase's daily users, and its cost with peering or Transit Gateway. */
export function interRegionCost(spec: PhaseSpec): InterRegionCost {
  const m = INTER_REGION_MODEL;
  const secondaries = spec.regions.filter((r) => r.role === 'secondary').length;
  if (secondaries === 0) return { gbPerMonth: 0, peeringUsd: 0, transitGatewayUsd: 0 };
  const ordersPerMonth = spec.slo.dailyUsers * TRAFFIC_MODEL.ordersPerUserPerDay * DAYS_PER_MONTH;
  const requestsPerMonth = spec.slo.dailyUsers * TRAFFIC_MODEL.requestsPerUserPerDay * DAYS_PER_MONTH;
  // Every secondary receives every order's replication; users spread evenly, so (n-1)/n of requests enter a secondary.
  const replication = ordersPerMonth * secondaries * (m.walBytesPerOrder + m.eventsPerOrder * m.eventBytes + m.cacheBytesPerOrder);
  const enteringSecondaries = requestsPerMonth * (secondaries / spec.regions.length);
  const home = enteringSecondaries * (TRAFFIC_MODEL.writeShareOfRequests * m.forwardedWriteBytes + m.visitorBytesPerRequest);
  const gbPerMonth = (replication + home) / 1e9;
  const regions = spec.regions.length;
  const pairs = (regions * (regions - 1)) / 2;
  // One VPC attachment per region, and each peering attachment is billed on both sides.
  const attachments = regions + 2 * pairs;
  return {
    gbPerMonth,
    peeringUsd: gbPerMonth * m.transferUsdPerGb,
    transitGatewayUsd: attachments * m.transitGatewayAttachmentHourly * HOURS_PER_MONTH + gbPerMonth * (m.transferUsdPerGb + m.transitGatewayUsdPerGb),
  };
}

/** The inter-region transfer as a cost line of the estimate (lib/cost/estimate.ts). */
export function interRegionCostLines(spec: PhaseSpec): CostLine[] {
  const cost = interRegionCost(spec);
  if (cost.gbPerMonth === 0) return [];
  return [
    {
      stack: 'between regions',
      logicalId: 'Transfer',
      category: 'transfer',
      what: `${cost.gbPerMonth.toFixed(1)} GB/month over VPC peering (replication, forwarded writes, visitor counts)`,
      monthlyUsd: cost.peeringUsd,
    },
  ];
}
