/** Users: registration and lookup. This file holds the routes; register.ts the use case, repository.ts the SQL. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../shared/errors';
import type { ModuleDef, Runtime } from '../shared/runtime';
import { id as idSchema, parse } from '../shared/validation';
import { registerUser } from './register';
import { findUser } from './repository';

const NewUser = z.strictObject({
  id: idSchema,
  email: z.string().max(254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'must be an email address' }),
  name: z.string().trim().min(1).max(200),
});
const UserParams = z.object({ id: idSchema });

export const userModule: ModuleDef<'user'> = {
  domain: 'user',
  create(rt: Runtime) {
    const db = rt.db('users');
    return {
      outboxes: ['users'],
      routes(app: FastifyInstance) {
        app.post('/users', async (req, reply) => {
          const u = parse(NewUser, req.body);
          await registerUser(db, u);
          return reply.status(201).send(u);
        });
        app.get('/users/:id', async (req) => {
          const { id } = parse(UserParams, req.params);
          const user = await findUser(db, id);
          if (!user) throw new AppError('NOT_FOUND', `User ${id} does not exist.`);
          return user;
        });
      },
    };
  },
};
