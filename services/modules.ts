/** Every module, by domain. */
import type { Domain } from './shared/config';
import type { ModuleDef } from './shared/runtime';
import { analyticsModule } from './analytics/module';
import { inventoryModule } from './inventory/module';
import { notificationModule } from './notification/module';
import { orderModule } from './order/module';
import { paymentModule } from './payment/module';
import { productModule } from './product/module';
import { shippingModule } from './shipping/module';
import { userModule } from './user/module';

export const MODULES: { [D in Domain]: ModuleDef<D> } = {
  user: userModule,
  product: productModule,
  order: orderModule,
  inventory: inventoryModule,
  payment: paymentModule,
  shipping: shippingModule,
  notification: notificationModule,
  analytics: analyticsModule,
};
