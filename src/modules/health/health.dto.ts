import { ApiProperty } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';

/** `GET /health`. */
export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
  /** Seconds since the process started. */
  uptimeSeconds: number;
}

const DEPENDENCIES: ApiPropertyOptions = {
  type: 'object',
  description:
    'Per dependency (`database`, `redis`, `queue`, and `nats` when NATS_URL is set): `status` up or down, plus its figures',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
  example: {
    database: { status: 'up' },
    redis: { status: 'up' },
    queue: { status: 'up', backlog: 0, max: 10000 },
  },
};

/** `GET /health/ready` when every dependency is up (@nestjs/terminus' report). */
export class ReadinessDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
  @ApiProperty(DEPENDENCIES) info: Record<string, unknown>;
  @ApiProperty(DEPENDENCIES) error: Record<string, unknown>;
  @ApiProperty(DEPENDENCIES) details: Record<string, unknown>;
}
