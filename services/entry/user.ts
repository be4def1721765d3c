/** The user service. */
import { main } from '../main';
import { userModule } from '../user/module';

void main('user', [userModule]);
