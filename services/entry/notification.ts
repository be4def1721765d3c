/** The notification service. */
import { main } from '../main';
import { notificationModule } from '../notification/module';

void main('notification', [notificationModule]);
