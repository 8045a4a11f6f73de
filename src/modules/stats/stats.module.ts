import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { ProvidersModule } from '../providers/providers.module';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

@Module({
  imports: [InstancesModule, ProvidersModule],
  controllers: [StatsController],
  providers: [StatsService],
  exports: [StatsService],
})
export class StatsModule {}
