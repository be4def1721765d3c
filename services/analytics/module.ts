/** Analytics: daily counters of orders placed, confirmed and revenue, updated once per event. */
import type { FastifyInstance } from 'fastify';
import { markProcessed, type EventEnvelope } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';

export const analyticsModule: ModuleDef = {
  domain: 'analytics',
  create(rt: Runtime) {
    const db = rt.db('users');
    async function count(e: EventEnvelope): Promise<void> {
      const d = e.data as { status?: string; totalCents?: number };
      const metrics: [string, number][] =
        e.type === 'OrderPlaced'
          ? [['orders_placed', 1], ['value_placed_cents', Number(d.totalCents ?? 0)]]
          : d.status === 'CONFIRMED'
            ? [['orders_confirmed', 1], ['revenue_cents', Number(d.totalCents ?? 0)]]
            : [[`orders_${String(d.status).toLowerCase()}`, 1]];
      await db.tx(async (c) => {
        if (!(await markProcessed(c, 'analytics', e.id))) return;
        for (const [metric, v] of metrics) {
          await c.query(
            `INSERT INTO analytics_daily (day, metric, value) VALUES ($1::timestamptz::date, $2, $3)
             ON CONFLICT (day, metric) DO UPDATE SET value = analytics_daily.value + EXCLUDED.value`,
            [e.occurredAt, metric, v],
          );
        }
      });
    }
    return {
      consumers: [{ name: 'analytics', topics: ['orders'], handlers: { OrderPlaced: count, OrderStatusChanged: count } }],
      routes(app: FastifyInstance) {
        app.get('/analytics/daily', async () => {
          const rows = await db.queryStale<{ day: Date; metric: string; value: number }>('SELECT day, metric, value FROM analytics_daily ORDER BY day DESC, metric LIMIT 500');
          return { rows: rows.map((r) => ({ day: new Date(r.day).toISOString().slice(0, 10), metric: r.metric, value: Number(r.value) })) };
        });
      },
    };
  },
};
