/** The order service. */
import { main } from '../main';
import { orderModule } from '../order/module';

void main('order', [orderModule]);
