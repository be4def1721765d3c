/** Every route the services register, as `METHOD /path` (HEAD routes left out), without connecting to anything. */
import { MODULES } from '../../../services/modules';
import { DOMAINS, loadConfig, type Domain } from '../../../services/shared/config';
import { createServer } from '../../../services/shared/http';
import { createLogger } from '../../../services/shared/logger';
import { Metrics } from '../../../services/shared/metrics';
import { Runtime } from '../../../services/shared/runtime';

export async function allRoutes(): Promise<string[]> {
  return (await Promise.all(DOMAINS.map((d) => routesOf(d)))).flat();
}

/** The routes one domain's module registers, as `METHOD /path` (HEAD routes left out). */
export async function routesOf(domain: Domain): Promise<string[]> {
  const rt = new Runtime('routes', loadConfig({ ORDERS_DB_URL: 'postgres://u@127.0.0.1:1/o', INVENTORY_DB_URL: 'postgres://u@127.0.0.1:1/i', USERS_DB_URL: 'postgres://u@127.0.0.1:1/u' }), createLogger('routes', 'silent'), new Metrics('routes', false));
  const app = createServer({ log: rt.log, metrics: rt.metrics, readiness: [] });
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  MODULES[domain].create(rt).routes?.(app);
  try {
    await app.ready();
    return routes;
  } finally {
    await app.close();
    await rt.stop();
  }
}
