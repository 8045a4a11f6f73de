import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { QueryInt } from '../validation/transforms';

/**
 * Largest `skip` accepted: the largest integer a JSON number carries exactly, far inside
 * PostgreSQL's bigint OFFSET, so a huge skip is a 400 naming `skip` instead of a database error.
 */
export const MAX_SKIP = Number.MAX_SAFE_INTEGER;

/** `?limit=&skip=` (the seeds' pagination) for every list route. limit 1–500, skip 0–MAX_SKIP. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @QueryInt(1, 500)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_SKIP, default: 0 })
  @IsOptional()
  @QueryInt(0, MAX_SKIP)
  skip?: number;
}

/** The seeds' pagination object. */
export interface Pagination {
  total: number;
  limit: number;
  skip: number;
  hasMore: boolean;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export async function paginate<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  query: PageQuery,
  defaultLimit = 100,
): Promise<Page<T>> {
  const limit = query.limit ?? defaultLimit;
  const skip = query.skip ?? 0;
  const [items, total] = await qb.take(limit).skip(skip).getManyAndCount();
  return { items, pagination: { total, limit, skip, hasMore: skip + items.length < total } };
}
