/** SQL for users (the users database). */
import type { PoolClient } from 'pg';
import type { Db } from '../shared/db';

export interface User {
  id: string;
  email: string;
  name: string;
}

export async function insertUser(c: PoolClient, u: User): Promise<void> {
  await c.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [u.id, u.email, u.name]);
}

/** The user `id`, from a replica when there is one (stale-tolerant). */
export async function findUser(db: Db, id: string): Promise<(User & { createdAt: unknown }) | undefined> {
  const row = (await db.queryStale<{ id: string; email: string; name: string; created_at: unknown }>('SELECT id, email, name, created_at FROM users WHERE id = $1', [id]))[0];
  return row ? { id: row.id, email: row.email, name: row.name, createdAt: row.created_at } : undefined;
}
