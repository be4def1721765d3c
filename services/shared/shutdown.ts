/**
 * How long a process takes to stop, for whoever waits on it (the supervisor, systemd, the
 * kubelet): the grace for requests in flight (SHUTDOWN_GRACE_MS) plus what closing the consumers,
 * the relay and the pools may take. The infrastructure sizes its timeouts from these.
 */
import type { Config } from './config';

/** Beyond the grace: consumers leaving their groups, the relay's last round, pools closing. */
export const STOP_OVERHEAD_MS = 10000;

/** How much longer than a worker's own bound the supervisor waits for its workers. */
export const SUPERVISOR_MARGIN_MS = 5000;

/** After SIGTERM, a process exits by this time even if something did not stop. */
export function stopBoundMs(cfg: Pick<Config, 'SHUTDOWN_GRACE_MS'>): number {
  return cfg.SHUTDOWN_GRACE_MS + STOP_OVERHEAD_MS;
}
