import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config';
import { validateEnv } from './env.schema';

/** Loads .env (if present) through @nestjs/config, validates it once and provides AppConfig. */
@Global()
@Module({
  imports: [
    NestConfigModule.forRoot({ isGlobal: false, cache: true, validate: (raw) => ({ ...validateEnv(raw) }) }),
  ],
  providers: [
    {
      provide: AppConfig,
      useFactory: () => new AppConfig(validateEnv(process.env)),
    },
  ],
  exports: [AppConfig],
})
export class ConfigModule {}
