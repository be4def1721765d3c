/** Registering a user, as a story: store the user (email in lower case) and announce UserRegistered in one transaction; an id or email taken is a CONFLICT. */
import { pgCode, PG, type Db } from '../shared/db';
import { AppError } from '../shared/errors';
import { appendOutbox, event } from '../shared/events';
import { insertUser, type User } from './repository';

export async function registerUser(db: Db, u: User): Promise<void> {
  try {
    await db.tx(async (c) => {
      await insertUser(c, { ...u, email: u.email.toLowerCase() });
      await appendOutbox(c, [event('UserRegistered', u.id, { userId: u.id })]);
    });
  } catch (e) {
    if (pgCode(e) === PG.uniqueViolation) throw new AppError('CONFLICT', 'A user with this id or email exists.', 'email');
    throw e;
  }
}
