import { PhaseSpec } from '../../phases';
import { TRAFFIC_MODEL } from '../../phases/capacity';
import { CostLine } from './estimate';
import { HOURS_PER_MONTH } from './prices';

/**
 * What the edge (CloudFront in front of the API) costs and saves at the capacity model's volume.
 * AWS list prices for North America and Europe (PriceClass_100), checked 2026-12; re-check before
 * relying on them. Transfer from API Gateway to CloudFront is not charged.
 */
export const EDGE_MODEL = {
  /** CloudFront HTTPS requests, per 10,000. */
  requestsUsdPer10k: 0.01,
  /** CloudFront data transfer out to the internet, per GB (first 10 TB a month). */
  transferUsdPerGb: 0.085,
  /** One API answer as sent, with headers (compressed catalogue JSON, order documents). */
  bytesPerResponse: 2_500,
  /** API Gateway HTTP API requests, per million (first 300 million a month): what an edge hit saves. */
  apiRequestsUsdPerMillion: 1.0,
} as const;

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** The edge's requests and transfer as cost lines, and the API Gateway requests its hits save (a negative line). */
export function edgeCostLines(spec: PhaseSpec): CostLine[] {
  const edge = spec.compute.gateway?.edge;
  if (!edge) return [];
  const m = EDGE_MODEL;
  const requests = spec.slo.dailyUsers * TRAFFIC_MODEL.requestsPerUserPerDay * DAYS_PER_MONTH;
  const gb = (requests * m.bytesPerResponse) / 1e9;
  const hits = requests * (edge.expectedHitPercent / 100);
  return [
    { stack: 'edge', logicalId: 'Requests', category: 'network', what: `${(requests / 1e6).toFixed(1)} M CloudFront requests/month`, monthlyUsd: (requests / 10_000) * m.requestsUsdPer10k },
    { stack: 'edge', logicalId: 'Transfer', category: 'transfer', what: `${gb.toFixed(0)} GB/month from CloudFront to clients`, monthlyUsd: gb * m.transferUsdPerGb },
    {
      stack: 'edge',
      logicalId: 'OriginRequestsSaved',
      category: 'network',
      what: `${(hits / 1e6).toFixed(1)} M API Gateway requests/month answered at the edge (${edge.expectedHitPercent}%)`,
      monthlyUsd: -(hits / 1e6) * m.apiRequestsUsdPerMillion,
    },
  ];
}
