import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstancesModule } from '../instances/instances.module';
import { ProvidersModule } from '../providers/providers.module';
import { ChatActivity } from './chat-activity';
import { ChatEntity } from './chat.entity';
import { ConversationsService } from './conversations.service';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';
import { MessageEntity } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity, ChatEntity]), InstancesModule, ProvidersModule],
  controllers: [MessagesController, InboxController],
  providers: [MessagesService, ConversationsService, InboxService, ChatActivity],
  exports: [ConversationsService, MessagesService],
})
export class MessagesModule {}
