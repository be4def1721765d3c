/** SQL for the daily counters (the users database). */
import type { PoolClient } from 'pg';
import type { Db } from '../shared/db';

/** Adds `value` to `metric` of the day `at` falls on. */
export async function addToDay(c: PoolClient, at: string, metric: string, value: number): Promise<void> {
  await c.query(
    `INSERT INTO analytics_daily (day, metric, value) VALUES ($1::timestamptz::date, $2, $3)
             ON CONFLICT (day, metric) DO UPDATE SET value = analytics_daily.value + EXCLUDED.value`,
    [at, metric, value],
  );
}

/** The latest 500 counters, newest day first (stale-tolerant). */
export async function listDaily(db: Db): Promise<{ day: string; metric: string; value: number }[]> {
  const rows = await db.queryStale<{ day: Date; metric: string; value: number }>('SELECT day, metric, value FROM analytics_daily ORDER BY day DESC, metric LIMIT 500');
  return rows.map((r) => ({ day: new Date(r.day).toISOString().slice(0, 10), metric: r.metric, value: Number(r.value) }));
}
