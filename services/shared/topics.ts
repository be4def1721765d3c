/**
 * The domain topics of the order system: the one list both the services (which produce and
 * consume them) and the platform (which sizes, provisions and mirrors them) read.
 */
export const TOPICS = ['orders', 'inventory', 'payments', 'shipping', 'products', 'users'] as const;

/** A domain topic. */
export type Topic = (typeof TOPICS)[number];
