import { SERVICE_NAMES } from '../../phases';
import { REGION_CODES, constructId } from '../../lib/naming';

describe('construct IDs from names', () => {
  test('a one-word name is capitalised, as every service\'s and region code\'s IDs have been', () => {
    expect(SERVICE_NAMES.map(constructId)).toEqual(['User', 'Product', 'Order', 'Inventory', 'Payment', 'Shipping', 'Notification', 'Analytics']);
    expect(Object.values(REGION_CODES).map(constructId)).toEqual(['Use1', 'Usw2', 'Euc1']);
  });

  test('a dash-separated name becomes one word per part, without the dashes', () => {
    expect(constructId('order-shard')).toBe('OrderShard');
    expect(constructId('order-activity')).toBe('OrderActivity');
  });
});
