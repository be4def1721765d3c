/** Order types shared by the order module and the saga's other participants. */
import { z } from 'zod';
import type { EventData } from '../shared/events';
import { id } from '../shared/validation';

const ShippingAddress = z.strictObject({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, { message: 'must be a two-letter ISO country code' }),
});

export const CheckoutRequest = z.strictObject({
  customerId: id,
  items: z
    .array(z.strictObject({ productId: id, quantity: z.number().int({ message: 'must be a whole number' }).min(1).max(1000) }))
    .min(1, { message: 'must hold at least one item' })
    .max(50, { message: 'must hold at most 50 items' }),
  payment: z.strictObject({ token: z.string().min(1).max(100) }),
  shipping: ShippingAddress,
});
export type CheckoutRequest = z.output<typeof CheckoutRequest>;

// A type, not an interface: an item is then also a line of the events' loose item schema.
export type OrderItem = {
  productId: string;
  quantity: number;
  unitPriceCents: number;
};

/** What saga events carry about an order: the data of OrderPlaced (its schema is the event's, in shared/events.ts). */
export type OrderSnapshot = EventData<'OrderPlaced'>;

/**
 * Statuses and their rank: a status only replaces one of lower rank, so events arriving
 * late or twice never move an order backwards.
 */
export const STATUS = {
  PENDING: { rank: 0, final: false },
  RESERVED: { rank: 1, final: false },
  PAID: { rank: 2, final: false },
  CONFIRMED: { rank: 3, final: true },
  OUT_OF_STOCK: { rank: 3, final: true },
  PAYMENT_DECLINED: { rank: 3, final: true },
  CANCELLING: { rank: 3, final: false },
  REFUNDED: { rank: 4, final: true },
} as const;
export type OrderStatus = keyof typeof STATUS;

export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  reason?: string;
  totalCents: number;
  currency: string;
  items: OrderItem[];
  shipping: unknown;
  createdAt: string;
  updatedAt: string;
}
