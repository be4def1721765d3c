/**
 * Payment providers. The only built-in one is a deterministic sandbox modelled on a card
 * network's test cards: the token decides the outcome, and charges are idempotent by key,
 * so a retried charge returns the first charge instead of taking money twice. It never
 * contacts a real network and cannot charge a real card.
 */
import type { Pool } from 'pg';
import { sha256 } from '../shared/ids';

export type ChargeOutcome = { ok: true; ref: string } | { ok: false; declineCode: string; ref: string };

export interface PaymentProvider {
  /** Checks a payment token before an order is accepted (like a zero-amount authorization). */
  verify(token: string): Promise<{ ok: true } | { ok: false; declineCode: string }>;
  /** Charges `amountCents`; the same idempotency key always returns the same outcome. */
  charge(idempotencyKey: string, token: string, amountCents: number): Promise<ChargeOutcome>;
  /** Refunds a charge; idempotent by key. */
  refund(idempotencyKey: string, chargeRef: string, amountCents: number): Promise<{ ref: string }>;
}

/** Test tokens and what the sandbox does with them. */
const SANDBOX_TOKENS: Record<string, { verify: string; charge: string }> = {
  tok_visa: { verify: 'ok', charge: 'ok' },
  tok_mastercard: { verify: 'ok', charge: 'ok' },
  tok_amex: { verify: 'ok', charge: 'ok' },
  tok_chargeDeclined: { verify: 'card_declined', charge: 'card_declined' },
  tok_chargeDeclinedInsufficientFunds: { verify: 'insufficient_funds', charge: 'insufficient_funds' },
  tok_chargeDeclinedExpiredCard: { verify: 'expired_card', charge: 'expired_card' },
  // Passes verification, declined at capture: exercises the saga's compensation.
  tok_chargeCustomerFail: { verify: 'ok', charge: 'card_declined' },
};

export class SandboxProvider implements PaymentProvider {
  /** `ledger` is the sandbox's own store (its own connections, outside the caller's transactions). */
  constructor(private readonly ledger: Pool) {}

  verify(token: string): Promise<{ ok: true } | { ok: false; declineCode: string }> {
    const t = SANDBOX_TOKENS[token];
    if (!t) return Promise.resolve({ ok: false, declineCode: 'invalid_token' });
    return Promise.resolve(t.verify === 'ok' ? { ok: true } : { ok: false, declineCode: t.verify });
  }

  async charge(idempotencyKey: string, token: string, amountCents: number): Promise<ChargeOutcome> {
    const t = SANDBOX_TOKENS[token];
    const outcome = !t ? 'invalid_token' : t.charge;
    const ref = `ch_sandbox_${sha256(idempotencyKey).slice(0, 24)}`;
    await this.ledger.query(
      `INSERT INTO sandbox_ledger (idempotency_key, kind, token, amount_cents, outcome, ref) VALUES ($1, 'charge', $2, $3, $4, $5)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [idempotencyKey, token, amountCents, outcome, ref],
    );
    const row = (await this.ledger.query<{ outcome: string; ref: string }>('SELECT outcome, ref FROM sandbox_ledger WHERE idempotency_key = $1', [idempotencyKey])).rows[0];
    return row.outcome === 'ok' ? { ok: true, ref: row.ref } : { ok: false, declineCode: row.outcome, ref: row.ref };
  }

  async refund(idempotencyKey: string, chargeRef: string, amountCents: number): Promise<{ ref: string }> {
    const ref = `re_sandbox_${sha256(idempotencyKey).slice(0, 24)}`;
    await this.ledger.query(
      `INSERT INTO sandbox_ledger (idempotency_key, kind, token, amount_cents, outcome, ref) VALUES ($1, 'refund', $2, $3, 'ok', $4)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [idempotencyKey, chargeRef, amountCents, ref],
    );
    return { ref };
  }
}
