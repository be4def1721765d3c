/** The product service. */
import { main } from '../main';
import { productModule } from '../product/module';

void main('product', [productModule]);
