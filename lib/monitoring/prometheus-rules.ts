import { EventSourcingSpec, MonitoringSpec, SloSpec } from '../../phases';

/**
 * The roadmap's rollback thresholds and capacity trigger as Prometheus alerting rules over the
 * services' own metrics (services/shared/metrics.ts), per service: what the CloudWatch alarms
 * see at the load balancers and API Gateway, seen from inside each service. Alertmanager in
 * the same workspace sends them to the alarm topic. With event sourcing on, the read model's
 * lag behind the order log too. Deterministic text.
 */
export function renderAlertRules(spec: MonitoringSpec, slo: SloSpec, eventSourcing?: EventSourcingSpec): string {
  const latencySeconds = (spec.baselineResponseMs * spec.responseTimeFactor) / 1000;
  const users = Math.round((slo.dailyUsers * spec.capacityTriggerPercent) / 100);
  const unavailable = `${spec.unavailableSeconds / 60}m`;
  return `groups:
  - name: rollback
    rules:
      - alert: ErrorRateAboveThreshold
        expr: 100 * sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) / clamp_min(sum by (service) (rate(http_requests_total[5m])), 1e-9) > ${spec.errorRatePercent}
        for: 3m
        labels: { severity: rollback }
        annotations: { summary: "More than ${spec.errorRatePercent}% of {{ $labels.service }} requests fail" }
      - alert: ResponseTimeAboveBaseline
        expr: histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m]))) > ${latencySeconds}
        for: 5m
        labels: { severity: rollback }
        annotations: { summary: "{{ $labels.service }} p99 above ${spec.responseTimeFactor}x the ${spec.baselineResponseMs} ms baseline" }
      - alert: ServiceUnavailable
        expr: sum by (service) (up) == 0
        for: ${unavailable}
        labels: { severity: rollback }
        annotations: { summary: "No {{ $labels.service }} instance has answered a scrape for ${unavailable}" }
  - name: next-phase
    rules:
      - alert: DailyUsersNearCapacity
        expr: max(daily_active_users) > ${users}
        for: 3h
        labels: { severity: plan }
        annotations: { summary: "Daily users above ${spec.capacityTriggerPercent}% of the phase's ${slo.dailyUsers}: plan the next phase" }
${eventSourcing ? readModelRules(eventSourcing) : ''}`;
}

/** The read model's lag (services/order/event-log.ts): every instance measures each orders database, so the largest is the lag. */
function readModelRules(spec: EventSourcingSpec): string {
  return `  - name: read-model
    rules:
      - alert: ReadModelLagging
        expr: max by (database) (order_read_model_lag_seconds) > ${spec.readModelLagAlarmSeconds}
        for: 5m
        labels: { severity: rollback }
        annotations: { summary: "Order reads from {{ $labels.database }} lag its event log by more than ${spec.readModelLagAlarmSeconds} s" }
`;
}
