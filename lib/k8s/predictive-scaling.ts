import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PodPredictiveScalingSpec, PodServiceSpec } from '../../phases';
import { podRpsAtTarget } from '../../phases/capacity';
import { CHECKOUT_HEALTH_PATH, HEALTH_PATH, METRICS_PATH, READY_PATH } from '../compute/routes';

/** The scrape job of the managed scraper that reads the services' pods (its `job` label). */
export const POD_SCRAPE_JOB = 'pods';

/** The TriggerAuthentication the services' ScaledObjects query the managed Prometheus with. */
export const PROMETHEUS_AUTH = 'managed-prometheus';

/**
 * The annotation with which KEDA's admission webhook lets a ScaledObject take over the HPA of the
 * same name that the phase before created, instead of refusing a Deployment another HPA manages.
 */
export const TRANSFER_HPA_ANNOTATION = 'scaledobject.keda.sh/transfer-hpa-ownership';

/** Seconds between two reads of each trigger by KEDA: the managed scraper's interval. */
const POLLING_INTERVAL_SECONDS = 30;

/** The window each request rate is averaged over, in minutes (four scrapes at 30 s and then some). */
const RATE_WINDOW_MINUTES = 5;

/** Where KEDA reads the request rates: the region's Amazon Managed Prometheus workspace. */
export interface PrometheusSource {
  /** The workspace's query URL, without a trailing slash (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`). */
  readonly serverAddress: string;
  /** The workspace's region, for SigV4. */
  readonly region: string;
}

/** One forecast of a service's request rate, in requests per second, as a PromQL query. */
export interface Forecast {
  /** The trigger's name in the ScaledObject (and in KEDA's metrics). */
  readonly name: string;
  readonly query: string;
}

/**
 * The request rate of one service in the region, per second, over {@link RATE_WINDOW_MINUTES}:
 * every answered request except probes and scrapes, which come at a fixed rate whatever the load.
 */
export function requestRate(service: string): string {
  const probes = [HEALTH_PATH, READY_PATH, METRICS_PATH, CHECKOUT_HEALTH_PATH].join('|');
  return `sum(rate(http_requests_total{job="${POD_SCRAPE_JOB}",service="${service}",route!~"${probes}"}[${RATE_WINDOW_MINUTES}m]))`;
}

/**
 * The forecasts a service's pods are scaled on, each in requests per second:
 * - `trend`: the straight line through the last `trendWindowMinutes` of the rate, read
 *   `lookaheadMinutes` ahead (`predict_linear` over a one-minute subquery), never below zero;
 * - `seasonal-<d>d`, one per offset: the highest rate of the `lookaheadMinutes` that followed
 *   this time of day `d` days ago (the daily and weekly curve, ahead of the trend at a ramp's foot).
 * An empty answer (no history yet) counts as zero, so that CPU alone decides until there is history.
 */
export function forecasts(service: string, spec: PodPredictiveScalingSpec): Forecast[] {
  const rate = requestRate(service);
  const ahead = spec.lookaheadMinutes;
  return [
    { name: 'trend', query: `clamp_min(predict_linear(${rate}[${spec.trendWindowMinutes}m:1m], ${ahead * 60}), 0)` },
    ...spec.seasonalOffsetsDays.map((days) => ({
      name: `seasonal-${days}d`,
      query: `max_over_time(${rate}[${ahead}m:1m] offset ${days * 24 * 60 - ahead}m)`,
    })),
  ];
}

/** The request rate per pod at which a forecast asks for one more pod: the capacity model's rate at the CPU target. */
function podThreshold(pod: PodServiceSpec): string {
  return String(Number(podRpsAtTarget(pod).toFixed(3)));
}

/** Labels every object of a service carries. */
type Labels = Readonly<Record<string, string>>;

/**
 * The TriggerAuthentication through which KEDA signs its Prometheus queries (SigV4) with the
 * operator's own IAM role, which EKS Pod Identity hands the `keda-operator` service account.
 */
export function prometheusAuthentication(scope: Construct, id: string, namespace: string): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: { name: PROMETHEUS_AUTH, namespace },
    spec: { podIdentity: { provider: 'aws' } },
  });
}

/**
 * A service's ScaledObject: KEDA creates and owns the service's HPA (same name, same bounds, taken
 * over from the phase before), which takes the largest replica count of its triggers: CPU at the
 * spec's target, and each forecast at the capacity model's requests per pod. Scale-down waits
 * `lookaheadMinutes`, so that pods started for a forecast peak are still there when it comes.
 */
export function scaledObject(
  scope: Construct,
  id: string,
  props: { pod: PodServiceSpec; spec: PodPredictiveScalingSpec; prometheus: PrometheusSource; namespace: string; labels: Labels },
): ApiObject {
  const { pod, spec, prometheus } = props;
  const threshold = podThreshold(pod);
  return new ApiObject(scope, id, {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: pod.name, namespace: props.namespace, labels: { ...props.labels }, annotations: { [TRANSFER_HPA_ANNOTATION]: 'true' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: pod.name },
      minReplicaCount: pod.minReplicas,
      maxReplicaCount: pod.maxReplicas,
      pollingInterval: POLLING_INTERVAL_SECONDS,
      advanced: {
        horizontalPodAutoscalerConfig: {
          name: pod.name,
          behavior: { scaleDown: { stabilizationWindowSeconds: spec.lookaheadMinutes * 60 } },
        },
      },
      triggers: [
        { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(pod.targetCpuPercent) } },
        ...forecasts(pod.name, spec).map((forecast) => ({
          type: 'prometheus',
          name: forecast.name,
          metricType: 'AverageValue',
          authenticationRef: { name: PROMETHEUS_AUTH },
          metadata: {
            serverAddress: prometheus.serverAddress,
            awsRegion: prometheus.region,
            query: forecast.query,
            threshold,
            ignoreNullValues: 'true',
          },
        })),
      ],
    },
  });
}
