/**
 * Service limits the alarms measure against. From the Amazon DocumentDB developer guide,
 * "Quotas and limits", instance limits (checked 2026-12; re-check before relying).
 */

/** Connections one DocumentDB instance accepts, by instance class (without `db.`). */
const DOCDB_MAX_CONNECTIONS: Readonly<Record<string, number>> = {
  't3.medium': 500,
  't4g.medium': 500,
  'r5.large': 1_700,
  'r5.xlarge': 3_400,
  'r5.2xlarge': 6_800,
  'r6g.large': 1_700,
  'r6g.xlarge': 3_400,
  'r6g.2xlarge': 6_800,
  'r6g.4xlarge': 13_600,
};

/** The connection limit of a DocumentDB instance class; an unknown class fails synthesis rather than going unwatched. */
export function docdbMaxConnections(instanceClass: string): number {
  const limit = DOCDB_MAX_CONNECTIONS[instanceClass];
  if (limit === undefined) throw new Error(`alarms: no connection limit for DocumentDB class ${instanceClass}; add it to DOCDB_MAX_CONNECTIONS (lib/monitoring/limits.ts)`);
  return limit;
}
