import { MonitoringSpec, SloSpec } from '../../phases';

/** Directory (inside the cloud assembly) the Grafana dashboards are written to, for import. */
export const GRAFANA_DIR = 'grafana';

/** A Grafana panel, as much of its JSON model as these dashboards use. */
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly [key: string]: unknown;
}

/**
 * The services' Grafana dashboard (JSON model, schema version 39), generated from the phase spec:
 * the roadmap's application, database, infrastructure and business metrics, per service, from
 * the Prometheus data source (`${prometheus}`) and CloudWatch (`${cloudwatch}`), with the
 * rollback thresholds drawn on the panels they concern. Import it into the Grafana workspace
 * (Dashboards → Import). Deterministic: the same spec gives the same JSON.
 */
export function grafanaDashboard(spec: MonitoringSpec, slo: SloSpec, regions: readonly string[]): Record<string, unknown> {
  const panels: Panel[] = [];
  let y = 0;
  const row = (title: string) => {
    panels.push({ type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
  };
  let x = 0;
  const graph = (title: string, unit: string, targets: Record<string, unknown>[], threshold?: number, datasource = 'prometheus') => {
    panels.push({
      type: 'timeseries',
      title,
      datasource: { type: datasource, uid: `\${${datasource}}` },
      gridPos: { h: 8, w: 12, x, y },
      fieldConfig: {
        defaults: {
          unit,
          ...(threshold !== undefined
            ? {
                thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: threshold }] },
                custom: { thresholdsStyle: { mode: 'line' } },
              }
            : {}),
        },
        overrides: [],
      },
      targets,
    });
    x = x === 0 ? 12 : 0;
    if (x === 0) y += 8;
  };
  const prom = (expr: string, legendFormat: string, refId: string) => ({ expr, legendFormat, refId });
  const cw = (namespace: string, metricName: string, statistic: string, refId: string) => ({
    namespace,
    metricName,
    statistic,
    dimensions: {},
    matchExact: false,
    region: '$region',
    refId,
  });
  const services = 'service=~"$service"';

  row('Application');
  graph('Request rate (per second)', 'reqps', [prom(`sum by (service) (rate(http_requests_total{${services}}[5m]))`, '{{service}}', 'A')]);
  graph(
    'Error rate (%)',
    'percent',
    [
      prom(
        `100 * sum by (service) (rate(http_requests_total{${services},status=~"5.."}[5m])) / clamp_min(sum by (service) (rate(http_requests_total{${services}}[5m])), 1e-9)`,
        '{{service}}',
        'A',
      ),
    ],
    spec.errorRatePercent,
  );
  graph(
    'Response time p50 / p95 / p99 (s)',
    's',
    ['0.5', '0.95', '0.99'].map((q, i) =>
      prom(`histogram_quantile(${q}, sum by (service, le) (rate(http_request_duration_seconds_bucket{${services}}[5m])))`, `{{service}} p${Number(q) * 100}`, String.fromCharCode(65 + i)),
    ),
    (spec.baselineResponseMs * spec.responseTimeFactor) / 1000,
  );
  graph('Throughput: events published and consumed (per second)', 'ops', [
    prom('sum by (topic) (rate(outbox_events_published_total[5m]))', 'published {{topic}}', 'A'),
    prom('sum by (consumer) (rate(events_consumed_total[5m]))', 'consumed {{consumer}}', 'B'),
  ]);

  x = 0;
  row('Database');
  graph('PostgreSQL CPU (%)', 'percent', [cw('AWS/RDS', 'CPUUtilization', 'Average', 'A')], spec.databaseCpuPercent, 'cloudwatch');
  graph('Replication lag (s)', 's', [cw('AWS/RDS', 'ReplicaLag', 'Maximum', 'A')], spec.replicationLagSeconds, 'cloudwatch');
  graph('Connections', 'short', [cw('AWS/RDS', 'DatabaseConnections', 'Average', 'A')], undefined, 'cloudwatch');
  graph('Free storage', 'bytes', [cw('AWS/RDS', 'FreeStorageSpace', 'Minimum', 'A')], undefined, 'cloudwatch');

  x = 0;
  row('Infrastructure');
  graph('Process CPU (cores)', 'short', [prom(`sum by (service) (rate(process_cpu_seconds_total{${services}}[5m]))`, '{{service}}', 'A')]);
  graph('Resident memory', 'bytes', [prom(`sum by (service) (process_resident_memory_bytes{${services}})`, '{{service}}', 'A')]);
  graph('Event loop lag p99 (s)', 's', [prom(`max by (service) (nodejs_eventloop_lag_p99_seconds{${services}})`, '{{service}}', 'A')]);
  graph('Instances up', 'short', [prom(`sum by (service) (up{${services}})`, '{{service}}', 'A')], undefined);

  x = 0;
  row('Business');
  graph('Orders per second', 'ops', [prom('sum(rate(orders_placed_total[5m]))', 'orders', 'A')]);
  graph('Checkout conversion', 'percentunit', [prom('sum(rate(orders_placed_total[1h])) / clamp_min(sum(rate(checkout_attempts_total[1h])), 1e-9)', 'conversion', 'A')]);
  graph('Revenue (per hour, in currency units)', 'short', [prom('sum by (currency) (increase(order_revenue_cents_total[1h])) / 100', '{{currency}}', 'A')]);
  graph('Daily users', 'short', [prom('max(daily_active_users)', 'daily users', 'A')], Math.round((slo.dailyUsers * spec.capacityTriggerPercent) / 100));

  return {
    title: 'Order platform',
    uid: 'order-platform',
    tags: ['order-platform'],
    schemaVersion: 39,
    timezone: 'utc',
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        { name: 'prometheus', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
        { name: 'cloudwatch', type: 'datasource', query: 'cloudwatch', label: 'CloudWatch' },
        {
          name: 'region',
          type: 'custom',
          query: regions.join(','),
          current: { text: regions[0], value: regions[0] },
          options: regions.map((r, i) => ({ text: r, value: r, selected: i === 0 })),
        },
        {
          name: 'service',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${prometheus}' },
          query: 'label_values(http_requests_total, service)',
          includeAll: true,
          multi: true,
          current: { text: 'All', value: '$__all' },
          refresh: 2,
        },
      ],
    },
    panels,
  };
}
