import type { ContactCard, OutboundMessage } from '../normalized';
import { cardPhones } from '../vcard';

/**
 * Normalized outbound → `chat.postMessage` arguments (PROVIDERS.md §5.1). Slack has no native
 * location or contact messages: both go out as formatted mrkdwn text. Media by URL: an image
 * becomes an `image` block; other media a link (Slack fetches no files by URL; upload them
 * through `POST …/messages/upload` instead).
 */
export interface SlackPostArgs {
  text: string;
  mrkdwn?: boolean;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
  blocks?: Record<string, unknown>[];
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export const mrkdwnEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A link in mrkdwn: `<url|label>`. */
const link = (url: string, label?: string): string =>
  label ? `<${url}|${mrkdwnEscape(label).replace(/\|/g, '¦')}>` : `<${url}>`;

function locationText(m: OutboundMessage): string {
  const coords = `${m.latitude}, ${m.longitude}`;
  const map = `https://www.openstreetmap.org/?mlat=${m.latitude}&mlon=${m.longitude}#map=17/${m.latitude}/${m.longitude}`;
  const lines = [
    `:round_pushpin: *${mrkdwnEscape(m.name ?? 'Location')}*`,
    ...(m.address ? [mrkdwnEscape(m.address)] : []),
    link(map, coords),
  ];
  return lines.join('\n');
}

/**
 * One card as mrkdwn: the name (and organisation), then its phones, e-mails and web addresses,
 * each with its label (`CELL`, `WORK`, …) as the card gives it.
 */
function contactText(c: ContactCard): string {
  const name = c.name || [c.firstName, c.lastName].filter(Boolean).join(' ');
  const org = [c.org?.company, c.org?.title].filter(Boolean).join(', ');
  const label = (value: string, type?: string) => mrkdwnEscape(type ? `${value} (${type})` : value);
  const lines = [
    `:bust_in_silhouette: *${mrkdwnEscape(name)}*${org ? ` — ${mrkdwnEscape(org)}` : ''}`,
    ...cardPhones(c).map((p) => `:telephone_receiver: ${label(p.phone, p.type)}`),
    ...(c.emails ?? []).map((e) => `:email: ${label(e.email, e.type)}`),
    ...(c.urls ?? []).map((u) => `:link: ${label(u.url, u.type)}`),
  ];
  return lines.join('\n');
}

/** Arguments of the `chat.postMessage` for every type that is one (not reactions, not uploads). */
export function toPostMessageArgs(m: OutboundMessage): SlackPostArgs {
  const preview =
    m.previewUrl === undefined ? {} : { unfurl_links: m.previewUrl, unfurl_media: m.previewUrl };
  switch (m.type) {
    case 'text':
      return { text: m.text ?? '', mrkdwn: true, ...preview };
    case 'image': {
      const alt = m.caption || m.filename || 'image';
      return {
        // `text` is the notification / screen-reader fallback of the blocks
        text: m.caption ?? m.media!.url!,
        blocks: [
          ...(m.caption ? [{ type: 'section', text: { type: 'mrkdwn', text: m.caption } }] : []),
          { type: 'image', image_url: m.media!.url!, alt_text: alt.slice(0, 2000) },
        ],
      };
    }
    case 'video':
    case 'audio':
    case 'voice':
    case 'document': {
      const url = m.media!.url!;
      const label = m.filename ?? url.split('/').pop() ?? m.type;
      return { text: [m.caption, link(url, label)].filter(Boolean).join('\n'), mrkdwn: true };
    }
    case 'location':
      return { text: locationText(m), mrkdwn: true, unfurl_links: false };
    case 'contacts':
      return { text: (m.contacts ?? []).map(contactText).join('\n\n'), mrkdwn: true };
    default:
      throw new Error(`no chat.postMessage mapping for ${m.type}`);
  }
}
