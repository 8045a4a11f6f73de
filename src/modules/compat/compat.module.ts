import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { ProvidersModule } from '../providers/providers.module';
import { StatsModule } from '../stats/stats.module';
import { CompatService } from './compat.service';
import { InstanceContactsCompatController } from './instance-contacts-compat.controller';
import { MultiProviderCompatController } from './multi-provider-compat.controller';
import { WhatsappCompatController } from './whatsapp-compat.controller';

/** The seeds' routes as thin aliases (Swagger tag `compatibility`). */
@Module({
  imports: [InstancesModule, MessagesModule, ContactsModule, StatsModule, ProvidersModule],
  controllers: [WhatsappCompatController, MultiProviderCompatController, InstanceContactsCompatController],
  providers: [CompatService],
})
export class CompatModule {}
