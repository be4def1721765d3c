/** Users: registration and lookup. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pgCode, PG } from '../shared/db';
import { AppError } from '../shared/errors';
import { appendOutbox, event } from '../shared/events';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';

const NewUser = z.strictObject({
  id: idSchema,
  email: z.string().max(254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'must be an email address' }),
  name: z.string().trim().min(1).max(200),
});

export const userModule: ModuleDef<'user'> = {
  domain: 'user',
  create(rt: Runtime) {
    const db = rt.db('users');
    return {
      outboxes: ['users'],
      routes(app: FastifyInstance) {
        app.post('/users', async (req, reply) => {
          const u = parse(NewUser, req.body);
          try {
            await db.tx(async (c) => {
              await c.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [u.id, u.email.toLowerCase(), u.name]);
              await appendOutbox(c, [event('UserRegistered', u.id, { userId: u.id })]);
            });
          } catch (e) {
            if (pgCode(e) === PG.uniqueViolation) throw new AppError('CONFLICT', 'A user with this id or email exists.', 'email');
            throw e;
          }
          return reply.status(201).send(u);
        });
        app.get('/users/:id', async (req) => {
          const { id } = parse(z.object({ id: idSchema }), req.params);
          const row = (await db.queryStale('SELECT id, email, name, created_at FROM users WHERE id = $1', [id]))[0];
          if (!row) throw new AppError('NOT_FOUND', `User ${id} does not exist.`);
          return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
        });
      },
    };
  },
};
