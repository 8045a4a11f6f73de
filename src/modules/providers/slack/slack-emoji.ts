import { createRequire } from 'node:module';

/**
 * Unicode emoji ↔ Slack emoji names. Slack names its emoji after iamcal/emoji-data, published on
 * npm as `emoji-datasource` (`short_names`, e.g. `+1` / `thumbsup` for 👍; skin tones as
 * `+1::skin-tone-2`). Loaded lazily: the data set is ~1 MB of JSON.
 */
interface EmojiRow {
  unified: string;
  non_qualified: string | null;
  short_names: string[];
  skin_variations?: Record<string, { unified: string; non_qualified: string | null }>;
}

/** Slack's skin-tone suffix number for each Fitzpatrick modifier code point. */
const SKIN_TONES: Record<string, number> = { '1F3FB': 2, '1F3FC': 3, '1F3FD': 4, '1F3FE': 5, '1F3FF': 6 };

let tables: { byName: Map<string, string>; byChar: Map<string, string> } | null = null;

const toChar = (unified: string): string =>
  String.fromCodePoint(...unified.split('-').map((h) => parseInt(h, 16)));
/** Variation selector 16 (emoji presentation) is optional in what clients send. */
const bare = (s: string): string => s.replace(/\uFE0F/g, '');

function load() {
  if (tables) return tables;
  const rows = createRequire(__filename)('emoji-datasource/emoji.json') as EmojiRow[];
  const byName = new Map<string, string>();
  const byChar = new Map<string, string>();
  for (const row of rows) {
    const char = toChar(row.unified);
    for (const name of row.short_names) byName.set(name, char);
    const primary = row.short_names[0];
    for (const u of [row.unified, row.non_qualified]) if (u) byChar.set(bare(toChar(u)), primary);
    for (const [tone, v] of Object.entries(row.skin_variations ?? {})) {
      const n = SKIN_TONES[tone];
      if (!n) continue; // two-tone combinations (handshake, couples) keep only the base name
      for (const name of row.short_names) byName.set(`${name}::skin-tone-${n}`, toChar(v.unified));
      byChar.set(bare(toChar(v.unified)), `${primary}::skin-tone-${n}`);
    }
  }
  tables = { byName, byChar };
  return tables;
}

/**
 * The Slack name of a unicode emoji (`👍` → `+1`, `👍🏽` → `+1::skin-tone-4`), or an already
 * Slack-style name given with or without colons (`:thumbsup:`, `partyparrot`), or null.
 */
export function slackEmojiName(emoji: string): string | null {
  const trimmed = emoji.trim();
  const named = /^:?([a-z0-9_+'-]+(?:::skin-tone-[2-6])?):?$/i.exec(trimmed);
  if (named) return named[1].toLowerCase();
  return load().byChar.get(bare(trimmed)) ?? null;
}

/** The unicode emoji of a Slack name (`thumbsup` → 👍); a workspace's custom emoji stays `:name:`. */
export function emojiFromSlackName(name: string): string {
  return load().byName.get(name) ?? `:${name}:`;
}
