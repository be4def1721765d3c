/**
 * Database schemas, as ordered migrations per database role. SQL lives in code so the
 * bundled migrate tool carries it. Applied by services/tools/migrate.ts.
 *
 * Roles: `orders` (the orders database: unsharded orders, payments, shipments, the shard
 * directory), `order-shard` (one order shard), `inventory`, `users`.
 */
export type DbRole = 'orders' | 'order-shard' | 'inventory' | 'users';

export interface Migration {
  id: string;
  sql: string;
}

const common: Migration = {
  id: '001_outbox_and_processed_events',
  sql: `
CREATE TABLE IF NOT EXISTS outbox (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  topic text NOT NULL,
  key text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  bucket int,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS processed_events (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);`,
};

const orderData: Migration = {
  id: '002_order_data',
  sql: `
CREATE TABLE IF NOT EXISTS orders (
  id uuid PRIMARY KEY,
  bucket int NOT NULL,
  customer_id text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  status text NOT NULL,
  status_rank int NOT NULL DEFAULT 0,
  reason text,
  total_cents bigint NOT NULL,
  currency text NOT NULL,
  shipping jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_idempotency UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id, created_at DESC);
CREATE INDEX IF NOT EXISTS orders_bucket ON orders (bucket, updated_at);
CREATE TABLE IF NOT EXISTS order_items (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line int NOT NULL,
  product_id text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, line)
);
-- Which buckets this shard owns. Writers hold FOR SHARE on their bucket's row for the whole
-- transaction; the re-shard tool takes it FOR UPDATE to cut a bucket over.
CREATE TABLE IF NOT EXISTS bucket_ownership (
  bucket int PRIMARY KEY,
  owned boolean NOT NULL
);
-- Event sourcing: the append-only log of every order change, and its projection.
CREATE TABLE IF NOT EXISTS order_events (
  position bigserial,
  tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  order_id uuid NOT NULL,
  seq int NOT NULL,
  bucket int NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, seq)
);
CREATE INDEX IF NOT EXISTS order_events_tx ON order_events (tx, position);
CREATE INDEX IF NOT EXISTS order_events_bucket ON order_events (bucket);
CREATE OR REPLACE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('orders.moving_bucket', true) = OLD.bucket::text THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'order_events is append-only (% refused)', TG_OP;
END $$;
DROP TRIGGER IF EXISTS order_events_append_only ON order_events;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION order_events_append_only();
CREATE TABLE IF NOT EXISTS order_view (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  status text NOT NULL,
  reason text,
  total_cents bigint NOT NULL,
  currency text NOT NULL,
  items jsonb NOT NULL,
  shipping jsonb NOT NULL,
  version int NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name text PRIMARY KEY,
  tx xid8 NOT NULL,
  position bigint NOT NULL
);`,
};

/**
 * The event log, its view and their checkpoints, completed wherever they are missing or partial
 * (a database migrated before they were part of 002, or repaired by hand), so that a move to
 * event sourcing finds them whole. Only adds: nothing here rewrites an existing table's data.
 */
const eventSourcing: Migration = {
  id: '005_event_sourcing_complete',
  sql: `
CREATE TABLE IF NOT EXISTS order_events (order_id uuid NOT NULL, seq int NOT NULL);
ALTER TABLE order_events
  ADD COLUMN IF NOT EXISTS position bigserial,
  ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN IF NOT EXISTS bucket int NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS type text NOT NULL DEFAULT 'Unknown',
  ADD COLUMN IF NOT EXISTS data jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS recorded_at timestamptz NOT NULL DEFAULT now();
CREATE TABLE IF NOT EXISTS order_view (id uuid PRIMARY KEY);
ALTER TABLE order_view
  ADD COLUMN IF NOT EXISTS customer_id text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'PENDING',
  ADD COLUMN IF NOT EXISTS reason text,
  ADD COLUMN IF NOT EXISTS total_cents bigint NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS currency text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS items jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN IF NOT EXISTS shipping jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS version int NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE TABLE IF NOT EXISTS projection_checkpoints (name text PRIMARY KEY);
ALTER TABLE projection_checkpoints
  ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT '0',
  ADD COLUMN IF NOT EXISTS position bigint NOT NULL DEFAULT 0;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'order_events'::regclass AND contype = 'p') THEN
    ALTER TABLE order_events ADD PRIMARY KEY (order_id, seq);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'order_view'::regclass AND contype = 'p') THEN
    ALTER TABLE order_view ADD PRIMARY KEY (id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'projection_checkpoints'::regclass AND contype = 'p') THEN
    ALTER TABLE projection_checkpoints ADD PRIMARY KEY (name);
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS order_events_tx ON order_events (tx, position);
CREATE INDEX IF NOT EXISTS order_events_bucket ON order_events (bucket);
CREATE OR REPLACE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('orders.moving_bucket', true) = OLD.bucket::text THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'order_events is append-only (% refused)', TG_OP;
END $fn$;
DROP TRIGGER IF EXISTS order_events_append_only ON order_events;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION order_events_append_only();`,
};

const ordersDb: Migration = {
  id: '003_payments_shipments_directory',
  sql: `
CREATE TABLE IF NOT EXISTS payments (
  order_id uuid PRIMARY KEY,
  amount_cents bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL,
  provider_ref text,
  decline_code text,
  refunded_cents bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The sandbox provider's own ledger, standing in for the card network: one row per charge or
-- refund, unique by the idempotency key the payment service sends.
CREATE TABLE IF NOT EXISTS sandbox_ledger (
  idempotency_key text PRIMARY KEY,
  kind text NOT NULL,
  token text NOT NULL,
  amount_cents bigint NOT NULL,
  outcome text NOT NULL,
  ref text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS shipments (
  order_id uuid PRIMARY KEY,
  status text NOT NULL,
  carrier text,
  tracking text,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS shard_map (
  bucket int PRIMARY KEY,
  shard int NOT NULL
);`,
};

const inventoryDb: Migration = {
  id: '002_catalogue_and_stock',
  sql: `
CREATE TABLE IF NOT EXISTS products (
  id text PRIMARY KEY,
  name text NOT NULL,
  price_cents bigint NOT NULL CHECK (price_cents >= 0),
  currency text NOT NULL,
  version int NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS stock (
  product_id text PRIMARY KEY,
  available int NOT NULL CHECK (available >= 0),
  reserved int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS reservations (
  order_id uuid NOT NULL,
  product_id text NOT NULL,
  quantity int NOT NULL,
  status text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, product_id)
);`,
};

const usersDb: Migration = {
  id: '002_users_notifications_analytics',
  sql: `
CREATE TABLE IF NOT EXISTS users (
  id text PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS notifications (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  order_id uuid NOT NULL,
  customer_id text NOT NULL,
  channel text NOT NULL,
  template text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notifications_order ON notifications (order_id);
CREATE TABLE IF NOT EXISTS analytics_daily (
  day date NOT NULL,
  metric text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (day, metric)
);`,
};

const catalogIntents: Migration = {
  id: '003_catalog_intents',
  sql: `
-- A MongoDB catalogue write announced before it is made, so its ProductChanged event is
-- published even if the process dies between the document write and the outbox row.
CREATE TABLE IF NOT EXISTS catalog_intents (
  id uuid PRIMARY KEY,
  product_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);`,
};

const homeRegionChanges: Migration = {
  id: '004_home_region_changes',
  sql: `
-- The regions whose relay published this database's outbox as home, in order: a row when a
-- primary's relay first starts here, and when the home moved to another region (a promotion,
-- with the outbox rows it published again). Its last row tells a restart that it is done.
CREATE TABLE IF NOT EXISTS home_region_changes (
  id bigserial PRIMARY KEY,
  region text NOT NULL,
  promoted boolean NOT NULL,
  republished int,
  window_ms bigint,
  recorded_at timestamptz NOT NULL DEFAULT now()
);`,
};

export const MIGRATIONS: Record<DbRole, Migration[]> = {
  orders: [common, orderData, ordersDb, homeRegionChanges, eventSourcing],
  'order-shard': [common, orderData, homeRegionChanges, eventSourcing],
  inventory: [common, inventoryDb, catalogIntents, homeRegionChanges],
  users: [common, usersDb, homeRegionChanges],
};
