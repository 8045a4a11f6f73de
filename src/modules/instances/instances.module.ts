import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProvidersModule } from '../providers/providers.module';
import { ActivityLogEntity } from './activity-log.entity';
import { ActivityService } from './activity.service';
import { InstanceEntity } from '../instances-core/instance.entity';
import { InstancesController } from './instances.controller';
import { InstancesService } from './instances.service';

@Module({
  imports: [TypeOrmModule.forFeature([InstanceEntity, ActivityLogEntity]), ProvidersModule],
  controllers: [InstancesController],
  providers: [InstancesService, ActivityService],
  exports: [InstancesService, ActivityService, TypeOrmModule],
})
export class InstancesModule {}
