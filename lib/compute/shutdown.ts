import { STOP_OVERHEAD_MS, SUPERVISOR_MARGIN_MS } from '../../services/shared/shutdown';

/**
 * How an instance leaves its load balancer without a failed request, in one place: the target
 * groups' deregistration delay, the pods' preStop delay and grace period, the app servers'
 * systemd stop timeout, and the services' own grace for requests in flight.
 *
 * The order of events on EKS when a pod is deleted (a rolling update, a scale-in, a node drain):
 * at once the endpoint turns terminating, the AWS Load Balancer Controller deregisters the pod's
 * IP from its target group, kube-proxy on every node stops sending it new connections, and the
 * kubelet starts the preStop sleep. The pod keeps serving all along. The sleep outlasts the
 * target's whole draining (the controller's reaction plus the deregistration delay), so when
 * SIGTERM arrives no load balancer sends or holds a request for it; the process then finishes
 * what in-cluster callers have in flight, answering with `Connection: close`.
 *
 * On EC2 the Auto Scaling group does the same for a server it terminates: it deregisters the
 * server, waits out the deregistration delay, and only then shuts it down; systemd stops Nginx
 * (which finishes its requests) before the service.
 */
export const SHUTDOWN = {
  /** A deregistering target keeps its requests in flight this long (both target group kinds). */
  deregistrationDelaySeconds: 30,
  /**
   * Allowance for the AWS Load Balancer Controller to see the pod terminating and deregister it,
   * and for kube-proxy on every node to drop it (typically 1-3 s each; more under API throttling).
   */
  propagationSeconds: 10,
  /** Requests in flight after SIGTERM (the services' SHUTDOWN_GRACE_MS). */
  graceSeconds: 20,
} as const;

/** The pods' preStop sleep: longer than the target's whole draining. */
export const PRE_STOP_SECONDS = SHUTDOWN.deregistrationDelaySeconds + SHUTDOWN.propagationSeconds;

/** What a service process may take after SIGTERM (grace plus closing consumers, relay, pools). */
export const PROCESS_STOP_SECONDS = SHUTDOWN.graceSeconds + STOP_OVERHEAD_MS / 1000;

/** The pods' terminationGracePeriodSeconds: the preStop sleep, then the process's stop, with a margin before SIGKILL. */
export const TERMINATION_GRACE_SECONDS = PRE_STOP_SECONDS + PROCESS_STOP_SECONDS + 5;

/** systemd's TimeoutStopSec of the app servers' service: the supervisor's wait for its workers, with a margin. */
export const SYSTEMD_STOP_TIMEOUT_SECONDS = PROCESS_STOP_SECONDS + SUPERVISOR_MARGIN_MS / 1000 + 5;

/** The environment that tells the services the grace the infrastructure planned for. */
export function shutdownEnvironment(): { SHUTDOWN_GRACE_MS: string } {
  return { SHUTDOWN_GRACE_MS: String(SHUTDOWN.graceSeconds * 1000) };
}
