/**
 * Analytics: daily counters of orders placed, confirmed and revenue, updated once per event; with
 * ORDER_ACTIVITY, every order event also kept per customer in MongoDB / DocumentDB (activity.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { markProcessed, type AnyEvent } from '../shared/events';
import { MongoConnection } from '../shared/mongo';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';
import { ActivityStore, MAX_ACTIVITY_PAGE, parseCursor } from './activity';

const ActivityQuery = z.strictObject({
  limit: z.coerce.number().int({ message: 'must be a whole number' }).min(1).max(MAX_ACTIVITY_PAGE).default(20),
  before: z.string().min(1).max(200).optional(),
});

function activityStore(rt: Runtime): ActivityStore | undefined {
  const c = rt.cfg;
  if (!c.ORDER_ACTIVITY) return undefined;
  const store = new ActivityStore(new MongoConnection(c.ANALYTICS_MONGO_URL!, c.ANALYTICS_MONGO_DB, { maxPoolSize: c.DB_POOL_MAX }));
  rt.readiness.push({ name: 'mongodb:analytics', check: () => store.ping() });
  return store;
}

export const analyticsModule: ModuleDef<'analytics'> = {
  domain: 'analytics',
  create(rt: Runtime) {
    const db = rt.db('users');
    const activity = activityStore(rt);
    async function count(e: AnyEvent<'OrderPlaced' | 'OrderStatusChanged'>): Promise<void> {
      // First the activity (idempotent by itself), then the counters with the processed mark: a
      // crash between the two redelivers the event, which rewrites the same document.
      if (activity && !(await activity.record(e))) rt.log.warn({ eventId: e.id, type: e.type }, 'order event without an order\'s fields: not kept in the order activity');
      const metrics: [string, number][] =
        e.type === 'OrderPlaced'
          ? [['orders_placed', 1], ['value_placed_cents', e.data.totalCents]]
          : e.data.status === 'CONFIRMED'
            ? [['orders_confirmed', 1], ['revenue_cents', e.data.totalCents]]
            : [[`orders_${e.data.status.toLowerCase()}`, 1]];
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
      stop: async () => {
        await activity?.close();
      },
      routes(app: FastifyInstance) {
        app.get('/analytics/daily', async () => {
          const rows = await db.queryStale<{ day: Date; metric: string; value: number }>('SELECT day, metric, value FROM analytics_daily ORDER BY day DESC, metric LIMIT 500');
          return { rows: rows.map((r) => ({ day: new Date(r.day).toISOString().slice(0, 10), metric: r.metric, value: Number(r.value) })) };
        });
        // Registered whatever the configuration: a secondary region, which keeps no activity,
        // forwards it home before the handler runs (ROUTE_PLACES).
        app.get('/analytics/customers/:customerId/activity', async (req) => {
          const { customerId } = parse(z.object({ customerId: idSchema }), req.params);
          const q = parse(ActivityQuery, req.query);
          if (!activity) throw new AppError('NOT_FOUND', 'Order activity is not kept here (ORDER_ACTIVITY is off).');
          const before = q.before === undefined ? undefined : parseCursor(q.before);
          if (q.before !== undefined && !before) throw new AppError('VALIDATION_FAILED', 'before: must be the next cursor of an earlier page', 'before');
          return activity.list(customerId, q.limit, before);
        });
      },
    };
  },
};
