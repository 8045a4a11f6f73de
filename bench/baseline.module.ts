import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../src/common/auth/decorators';

/**
 * Baselines measured in the same process as the gateway (bench only, never in the app):
 * an empty endpoint and one that inserts a single row, both through the same Nest pipeline
 * (global guard, validation pipe, pino logger, problem filter).
 */
@Public()
@Controller('bench')
export class BaselineController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get('empty')
  empty() {
    return { ok: true };
  }

  @Post('insert')
  @HttpCode(200)
  async insert(@Body() body: Record<string, unknown>) {
    await this.db.query('INSERT INTO bench_rows (payload) VALUES ($1)', [JSON.stringify(body)]);
    return { ok: true };
  }
}

/**
 * The same empty endpoint behind everything an API call passes: JWT auth, the rate limiter's
 * `default` budget, request logging and metrics (the pipeline scenario, issue 11).
 */
@Controller('bench')
export class AuthedBaselineController {
  @Get('empty-auth')
  emptyAuth() {
    return { ok: true };
  }
}

@Module({ controllers: [BaselineController, AuthedBaselineController] })
export class BaselineModule {}
