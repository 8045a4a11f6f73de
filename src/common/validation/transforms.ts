import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** class-transformer helper: `a,b,c` query strings → `['a','b','c']`. */
export const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

/**
 * An integer query parameter in [min, max]. Only plain decimal digits (optionally `-`) become a
 * number; anything else (`1e3`, `0x10`, ` 5`, `1.0`, a repeated parameter) stays as given and
 * fails `IsInt`, so nothing a query string can spell reaches SQL outside the bounds
 * (`?skip=99999999999999999999` is a 400, not PostgreSQL's `bigint out of range`).
 * `max` must be at most Number.MAX_SAFE_INTEGER.
 */
export function QueryInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) =>
      typeof value === 'string' && /^-?\d{1,20}$/.test(value) ? Number(value) : value,
    ),
    IsInt(),
    Min(min),
    Max(max),
  );
}
