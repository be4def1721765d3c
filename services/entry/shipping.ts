/** The shipping service. */
import { main } from '../main';
import { shippingModule } from '../shipping/module';

void main('shipping', [shippingModule]);
