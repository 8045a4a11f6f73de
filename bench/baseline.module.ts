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

@Module({ controllers: [BaselineController] })
export class BaselineModule {}
