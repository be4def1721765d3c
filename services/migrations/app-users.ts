/**
 * The services' database users. The schema tool connects as the instance's admin (DDL); the
 * services log in as an application user that holds only DML on the tables, through the
 * `orders_services` role. The application user alternates between `NAME` and `NAME_clone` (Secrets
 * Manager's alternating-users rotation): both are members of the role, so either one works.
 */
import type { Client } from 'pg';
import { alternateUser, type DbCredentials } from '../shared/credentials';

/** The role that holds the services' privileges; login users are its members. */
export const SERVICES_ROLE = 'orders_services';

/**
 * Idempotent: the role, and on every table and sequence of the schema the DML the services need.
 * No CREATE on the schema (PostgreSQL 15 no longer gives it to PUBLIC; revoked again for
 * databases created by older versions) and no ownership, so no DDL; nothing on the schema tool's
 * own bookkeeping.
 */
export const APP_PRIVILEGES_SQL = `
DO $$
BEGIN
  CREATE ROLE ${SERVICES_ROLE} NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- made by an earlier run, or concurrently by another database's migration on the same server
END $$;
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${SERVICES_ROLE}', current_database());
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ${SERVICES_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${SERVICES_ROLE};
REVOKE ALL ON schema_migrations FROM ${SERVICES_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${SERVICES_ROLE};
`;

/**
 * Makes sure the services' login exists: the user the credential source currently names is
 * created with its password when missing (the first deploy); an existing user keeps its password,
 * which belongs to the rotation. Both users of the pair that exist are made members of the role
 * (the rotation creates the alternate as a member of the first, which also works).
 */
export async function ensureAppUser(c: Client, login: DbCredentials): Promise<void> {
  for (const user of [login.user, alternateUser(login.user)]) {
    const found = await c.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [user]);
    const existing = found.rows[0] as { rolsuper: boolean } | undefined;
    if (existing?.rolsuper) throw new Error(`the services' database user ${user} is a superuser: give the services a user of their own`);
    if (!existing && user !== login.user) continue;
    const sql = existing
      ? await c.query<{ sql: string }>('SELECT format($2, $1::text) AS sql', [user, `GRANT ${SERVICES_ROLE} TO %I`])
      : await c.query<{ sql: string }>('SELECT format($3, $1::text, $2::text) AS sql', [user, login.password, `CREATE ROLE %I LOGIN PASSWORD %L IN ROLE ${SERVICES_ROLE}`]);
    try {
      await c.query(sql.rows[0].sql);
    } catch (error) {
      // Another database's migration on the same server created it a moment ago.
      if ((error as { code?: string }).code !== '42710') throw error;
      await c.query((await c.query<{ sql: string }>('SELECT format($2, $1::text) AS sql', [user, `GRANT ${SERVICES_ROLE} TO %I`])).rows[0].sql);
    }
  }
}
