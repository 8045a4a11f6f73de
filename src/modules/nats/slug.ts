/** An instance slug: the `<name>` token of its NATS subjects (`whatsapp.<slug>.in.message`). */
export const SLUG_PATTERN = /^[a-z0-9_-]{1,64}$/;

/**
 * The default slug of an instance named `name`: lower-cased, every run of characters outside
 * `[a-z0-9_-]` turned into `_`, `_`/`-` trimmed from both ends, at most 55 characters (room for a
 * `-<suffix>` when the provider already has it); `instance` when nothing is left. The same rule
 * backfilled existing instances (migrations/1765300000000-NatsOutbox.ts).
 * @example slugFromName('Support Bot #2') === 'support_bot_2'
 */
export function slugFromName(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 55);
  return base || 'instance';
}
