import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { AppError } from './app-error';

/** `application/problem+json` body (RFC 9457) as documented in DESIGN.md §6. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: unknown;
  requestId?: string;
  [key: string]: unknown;
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

/** One filter for every error: AppError, Nest HttpException, and anything unexpected (→ 500). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const problem = this.toProblem(exception);
    problem.requestId = req?.id ? String(req.id) : undefined;
    if (problem.status >= 500) {
      this.logger.error({ err: exception, requestId: problem.requestId }, 'request failed');
    }
    if (res.headersSent) return;
    if (exception instanceof AppError) {
      for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
    }
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof AppError) {
      return this.base(exception.status, exception.code, exception.message, exception.extra);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      let detail = exception.message;
      if (typeof body === 'object' && body && 'message' in body) {
        const m = (body as { message: unknown }).message;
        detail = Array.isArray(m) ? m.join('; ') : String(m);
      }
      if (status >= 500) detail = 'Internal server error';
      return this.base(status, HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'error'), detail);
    }
    return this.base(500, 'internal_error', 'Internal server error');
  }

  private base(
    status: number,
    code: string,
    detail: string,
    extra: Record<string, unknown> = {},
  ): ProblemDetails {
    return {
      type: `https://switchboard.dev/problems/${code}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      code,
      ...extra,
    };
  }
}
