/** The payment service. */
import { main } from '../main';
import { paymentModule } from '../payment/module';

void main('payment', [paymentModule]);
