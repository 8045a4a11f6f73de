import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/app-error';

/**
 * Deepest nesting of objects/arrays a JSON body may have. Our own bodies are at most ~6 deep and
 * provider webhooks ~10; class-transformer, JSON.stringify and PostgreSQL's jsonb parser all
 * recurse per level, so a body of thousands of levels would otherwise end in a stack overflow (500).
 */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of `value` (a scalar is 0, `{}` and `[]` are 1), counted without recursion. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const d = depth + 1;
    if (d > max) {
      max = d;
      if (max > stopAbove) return max;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d]);
    }
  }
  return max;
}

/**
 * Express middleware, mounted right after the body parsers and before routing: a parsed body
 * nested deeper than `maxDepth` is refused with 400 `payload_too_deep` (problem+json) before any
 * validation, transformation or provider signature check runs. Applies to every route.
 */
export function jsonDepthLimit(maxDepth = MAX_JSON_DEPTH) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null && jsonDepth(body, maxDepth) > maxDepth) {
      next(new AppError(400, 'payload_too_deep', `JSON body is nested deeper than ${maxDepth} levels`));
      return;
    }
    next();
  };
}
