import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { Agent, errors } from 'undici';
import type { AddressPolicy } from './address-policy';

/** A connection refused because the name resolved to an address the policy blocks (code `EBLOCKEDADDRESS`). */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
}

/**
 * An undici Agent whose connections resolve names through `policy`: every address a hostname
 * resolves to is checked at connect time, and one blocked address refuses the connection with
 * {@link BlockedAddressError} — the address dialled is the address checked, so a name that
 * resolves to a public address when a URL is saved and to 127.0.0.1 or 169.254.169.254 later
 * (DNS rebinding) is still refused. Literal IP hosts skip the lookup: callers check them with
 * `policy.isAllowed` before the request. Used by client webhooks (WebhookHttpClient) and media
 * fetched by URL (MediaFetcher).
 */
export function createGuardedAgent(policy: AddressPolicy, options: Agent.Options = {}): Agent {
  return new Agent({
    ...options,
    connect: {
      ...(typeof options.connect === 'object' ? options.connect : {}),
      lookup: (hostname: string, lookupOptions: object, callback: (...args: any[]) => void) => {
        dnsLookup(hostname, { ...lookupOptions, all: true }, (err, addresses: LookupAddress[]) => {
          if (err) return callback(err);
          const bad = addresses.find((a) => !policy.isAllowed(a.address));
          if (bad)
            return callback(
              new BlockedAddressError(`${hostname} resolves to a blocked address (${bad.address})`),
            );
          if ((lookupOptions as { all?: boolean }).all) return callback(null, addresses);
          return callback(null, addresses[0].address, addresses[0].family);
        });
      },
    } as never,
  });
}

/** Why an outbound request through a guarded agent failed, as an error class and a detail. */
export interface HttpFailure {
  /** `blocked_address`, `timeout` or `connect_error`. */
  error: 'blocked_address' | 'timeout' | 'connect_error';
  errorDetail: string;
}

/** Classifies an error thrown by undici's `request` through a {@link createGuardedAgent} agent. */
export function classifyHttpError(err: unknown): HttpFailure {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const cause = e.cause ?? e;
  if (
    e instanceof BlockedAddressError ||
    cause instanceof BlockedAddressError ||
    cause.code === 'EBLOCKEDADDRESS'
  ) {
    return { error: 'blocked_address', errorDetail: cause.message };
  }
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e instanceof errors.HeadersTimeoutError ||
    e instanceof errors.BodyTimeoutError ||
    e instanceof errors.ConnectTimeoutError
  ) {
    return { error: 'timeout', errorDetail: e.message };
  }
  return { error: 'connect_error', errorDetail: `${cause.code ?? e.name}: ${cause.message}` };
}
