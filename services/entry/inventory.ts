/** The inventory service. */
import { main } from '../main';
import { inventoryModule } from '../inventory/module';

void main('inventory', [inventoryModule]);
