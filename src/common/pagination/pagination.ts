import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/** `?limit=&skip=` (the seeds' pagination). limit 1–500. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
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
