/**
 * Analytics: daily counters of orders placed, confirmed and revenue, updated once per event; with
 * ORDER_ACTIVITY, every order event also kept per customer in MongoDB / DocumentDB (activity.ts).
 * This file holds the consumer and the routes; count.ts the use case, repository.ts the SQL.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import { MongoConnection } from '../shared/mongo';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';
import { ActivityStore, MAX_ACTIVITY_PAGE, parseCursor } from './activity';
import { countOrderEvent, type CountDeps } from './count';
import { listDaily } from './repository';

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
    const counting: CountDeps = { db, log: rt.log, ...(activity ? { activity } : {}) };
    return {
      consumers: [{ name: 'analytics', topics: ['orders'], handlers: { OrderPlaced: (e) => countOrderEvent(counting, e), OrderStatusChanged: (e) => countOrderEvent(counting, e) } }],
      stop: async () => {
        await activity?.close();
      },
      routes(app: FastifyInstance) {
        app.get('/analytics/daily', async () => ({ rows: await listDaily(db) }));
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
