import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './migrate';

/** PostgreSQL through TypeORM; migrations applied at boot under an advisory lock unless DB_MIGRATIONS_RUN=false. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => dataSourceOptions(config),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        return dataSource;
      },
    }),
  ],
  providers: [
    {
      provide: 'MIGRATIONS_APPLIED',
      inject: [DataSource, AppConfig],
      useFactory: async (dataSource: DataSource, config: AppConfig) => {
        if (config.database.migrationsRun) await runMigrationsLocked(dataSource);
        return true;
      },
    },
  ],
  exports: ['MIGRATIONS_APPLIED'],
})
export class DatabaseModule {}
