import { DynamicModule, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { Application, NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** URL prefix of the dashboard (web/ builds with `base: '/dashboard/'`). */
export const DASHBOARD_ROUTE = '/dashboard';

/**
 * The dashboard's security headers. The Vite build has no inline script or style, so the page may
 * run only its own files and talk only to this origin (the REST API and the event stream).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where `npm run build` puts the front end: `<package root>/dist/dashboard`, found from this file
 * whether it runs from dist/ (production, Docker) or from src/ (ts-jest).
 */
export function dashboardDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'dashboard');
}

/** `/dashboard` → `/dashboard/`: the page's relative routes and the static mount start at the slash. */
@Injectable()
export class DashboardRedirect implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const app = this.host.httpAdapter.getInstance<Application>();
    app.get(DASHBOARD_ROUTE, (req: Request, res: Response, next: NextFunction) => {
      // Express matches /dashboard/ here too (non-strict routing): only the bare path redirects
      if (req.path !== DASHBOARD_ROUTE) return next();
      const query = req.originalUrl.slice(req.path.length);
      res.redirect(301, `${DASHBOARD_ROUTE}/${query}`);
    });
  }
}

/**
 * Serves the built dashboard (web/) at /dashboard with a fallback to index.html for its client-side
 * routes (/dashboard/inbox, …). Hashed files under assets/ are cached for a year; index.html is
 * revalidated so a new build is picked up at once. A missing asset is a 404, not index.html.
 * When the front end was not built (`nest build` alone) nothing is mounted and boot says so.
 */
@Module({})
export class DashboardModule {
  static register(root = dashboardDir()): DynamicModule {
    if (!existsSync(join(root, 'index.html'))) {
      new Logger('Dashboard').warn(`${root} has no index.html (run npm run build): /dashboard is not served`);
      return { module: DashboardModule };
    }
    return {
      module: DashboardModule,
      providers: [DashboardRedirect],
      imports: [
        ServeStaticModule.forRoot({
          rootPath: root,
          serveRoot: DASHBOARD_ROUTE,
          exclude: [`${DASHBOARD_ROUTE}/assets/{*rest}`],
          serveStaticOptions: {
            index: false,
            setHeaders: (res: Response, path: string) => {
              res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
              res.setHeader('X-Content-Type-Options', 'nosniff');
              res.setHeader('Referrer-Policy', 'no-referrer');
              res.setHeader(
                'Cache-Control',
                path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
              );
            },
          },
        }),
      ],
    };
  }
}
