import ICAL from 'ical.js';
import type { ContactAddress, ContactCard, ContactEmail, ContactPhone, ContactUrl } from './normalized';

/**
 * Contact cards ↔ vCard text (RFC 6350 / vCard 3.0, RFC 2426) through ical.js, and the helpers every
 * adapter uses to read a card in either of its forms (flat `{name, phone}` or vCard-level).
 *
 * Mapping (both directions): `FN` ↔ name; `N` ↔ lastName;firstName;middleName;prefix;suffix;
 * `TEL;TYPE=…;waid=…` ↔ phones[] {phone, type, waId} (the `waid` parameter is WhatsApp's own, as in
 * the vCards WhatsApp exports); `EMAIL;TYPE=…` ↔ emails[]; `ORG` company;department and `TITLE` ↔
 * org; `URL;TYPE=…` ↔ urls[]; `ADR;TYPE=…` ;;street;city;state;zip;country ↔ addresses[];
 * `BDAY` ↔ birthday (YYYY-MM-DD). `countryCode` has no vCard field and is not written.
 */

/** Telegram's limit for `sendContact.vcard`, bytes (PROVIDERS.md §1.1). */
export const TELEGRAM_VCARD_MAX_BYTES = 2048;

/** Labels that say how a number or address is used, not which one it is (`VOICE`, `PREF`, `INTERNET`). */
const GENERIC_TYPES = new Set(['voice', 'pref', 'internet', 'x400', 'text', 'msg']);

/**
 * The card's phones: `phones`, or the flat `phone` as one `CELL` number; a `phone` not among
 * `phones` (compared by digits) comes first.
 */
export function cardPhones(card: Pick<ContactCard, 'phone' | 'phones'>): ContactPhone[] {
  const phones = card.phones ?? [];
  if (!card.phone || phones.some((p) => samePhone(p.phone, card.phone!))) {
    return phones.length || !card.phone ? phones : [{ phone: card.phone, type: 'CELL' }];
  }
  return phones.length ? [{ phone: card.phone }, ...phones] : [{ phone: card.phone, type: 'CELL' }];
}

/**
 * A card as the gateway stores and delivers it: the fields given (undefined and empty parts
 * dropped) with `phone` = the first phone. Accepts the flat form and the vCard-level form.
 */
export function toContactCard(input: ContactCard): ContactCard {
  const phones = input.phones?.length ? cardPhones(input) : undefined;
  const org = compact({ ...input.org });
  return {
    name: input.name ?? '',
    ...compact({
      firstName: input.firstName,
      lastName: input.lastName,
      middleName: input.middleName,
      prefix: input.prefix,
      suffix: input.suffix,
      phone: input.phone ?? phones?.[0]?.phone,
      phones: phones?.map((p) => compact({ ...p })),
      emails: nonEmpty(input.emails?.map((e) => compact({ ...e }))),
      org: Object.keys(org).length ? org : undefined,
      urls: nonEmpty(input.urls?.map((u) => compact({ ...u }))),
      addresses: nonEmpty(input.addresses?.map((a) => compact({ ...a }))),
      birthday: input.birthday,
      vcard: input.vcard,
    }),
  };
}

/** Whether the card says more than Telegram's `phone_number` / `first_name` / `last_name` can carry. */
export function hasMoreThanNameAndPhone(card: ContactCard): boolean {
  const phones = cardPhones(card);
  const shownName = [card.firstName ?? card.name, card.lastName].filter(Boolean).join(' ');
  return (
    phones.length > 1 ||
    !!phones[0]?.waId ||
    (!!phones[0]?.type && phones[0].type !== 'CELL') ||
    !!(card.middleName || card.prefix || card.suffix || card.birthday) ||
    !!card.emails?.length ||
    !!card.urls?.length ||
    !!card.addresses?.length ||
    !!(card.org && (card.org.company || card.org.department || card.org.title)) ||
    shownName !== card.name
  );
}

type JCardProperty = [string, Record<string, string | string[]>, string, ...unknown[]];

/** The card as vCard 3.0 text (CRLF line ends, lines folded at 75 octets, values escaped by ical.js). */
export function contactCardToVCard(card: ContactCard): string {
  const props: JCardProperty[] = [['version', {}, 'text', '3.0']];
  const typed = (type: string | undefined, extra: Record<string, string> = {}) => ({
    ...(type ? { type } : {}),
    ...extra,
  });
  props.push([
    'n',
    {},
    'text',
    [card.lastName ?? '', card.firstName ?? '', card.middleName ?? '', card.prefix ?? '', card.suffix ?? ''],
  ]);
  props.push(['fn', {}, 'text', card.name]);
  if (card.org?.company || card.org?.department) {
    props.push([
      'org',
      {},
      'text',
      card.org.department ? [card.org.company ?? '', card.org.department] : (card.org.company ?? ''),
    ]);
  }
  if (card.org?.title) props.push(['title', {}, 'text', card.org.title]);
  for (const p of cardPhones(card)) {
    props.push(['tel', typed(p.type, p.waId ? { waid: p.waId } : {}), 'phone-number', p.phone]);
  }
  for (const e of card.emails ?? []) props.push(['email', typed(e.type), 'text', e.email]);
  for (const u of card.urls ?? []) props.push(['url', typed(u.type), 'uri', u.url]);
  for (const a of card.addresses ?? []) {
    props.push([
      'adr',
      typed(a.type),
      'text',
      ['', '', a.street ?? '', a.city ?? '', a.state ?? '', a.zip ?? '', a.country ?? ''],
    ]);
  }
  if (card.birthday) props.push(['bday', {}, 'date', card.birthday]);
  return new ICAL.Component(['vcard', props, []]).toString() + '\r\n';
}

/**
 * The fields of the first card in vCard text (2.1, 3.0 or 4.0), or null when it is no vCard.
 * vCard 2.1 bare parameters (`TEL;CELL;VOICE:…`, as Android and Telegram write them) are read as
 * `TYPE=` values; a group's Apple label (`item1.X-ABLabel:Mobile`) becomes its property's type.
 * 2.1 QUOTED-PRINTABLE values are taken as written (not decoded).
 */
export function vCardToContactCard(text: string): Partial<ContactCard> | null {
  let component: ICAL.Component;
  try {
    const parsed = ICAL.parse(withTypedBareParameters(text)) as unknown[];
    const first = (Array.isArray(parsed[0]) ? parsed[0] : parsed) as unknown[];
    if (first[0] !== 'vcard') return null;
    component = new ICAL.Component(first as never);
  } catch {
    return null;
  }
  const props = component.getAllProperties();
  const labels = new Map<string, string>();
  for (const p of props) {
    const group = p.getParameter('group');
    if (p.name === 'x-ablabel' && typeof group === 'string') labels.set(group, textOf(p.getFirstValue()));
  }
  const typeOf = (p: ICAL.Property): string | undefined => {
    const group = p.getParameter('group');
    const label = typeof group === 'string' ? labels.get(group) : undefined;
    if (label) return label.replace(/^_\$!<(.*)>!\$_$/, '$1');
    const raw = p.getParameter('type');
    const types = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
    return types.find((t) => !GENERIC_TYPES.has(t.toLowerCase())) ?? types[0];
  };
  const all = (name: string) => props.filter((p) => p.name === name);
  const card: Partial<ContactCard> = {};
  const fn = component.getFirstPropertyValue('fn');
  if (fn) card.name = textOf(fn);
  const n = component.getFirstProperty('n')?.getFirstValue();
  if (n !== undefined && n !== null) {
    const parts = (Array.isArray(n) ? n : [n]).map(textOf);
    Object.assign(
      card,
      compact({
        lastName: parts[0],
        firstName: parts[1],
        middleName: parts[2],
        prefix: parts[3],
        suffix: parts[4],
      }),
    );
  }
  const phones = all('tel')
    .map((p): ContactPhone =>
      compact({
        phone: textOf(p.getFirstValue()).replace(/^tel:/i, ''),
        type: typeOf(p),
        waId: (p.getParameter('waid') as string | undefined) ?? undefined,
      }),
    )
    .filter((p) => !!p.phone);
  if (phones.length) card.phones = phones;
  const emails = all('email')
    .map((p): ContactEmail =>
      compact({ email: textOf(p.getFirstValue()).replace(/^mailto:/i, ''), type: typeOf(p) }),
    )
    .filter((e) => !!e.email);
  if (emails.length) card.emails = emails;
  const org = component.getFirstPropertyValue('org');
  const orgParts = (Array.isArray(org) ? org : org ? [org] : []).map(textOf);
  const title = component.getFirstPropertyValue('title');
  const orgCard = compact({
    company: orgParts[0],
    department: orgParts[1],
    title: title ? textOf(title) : '',
  });
  if (Object.keys(orgCard).length) card.org = orgCard;
  const urls = all('url')
    .map((p): ContactUrl => compact({ url: textOf(p.getFirstValue()), type: typeOf(p) }))
    .filter((u) => !!u.url);
  if (urls.length) card.urls = urls;
  const addresses = all('adr')
    .map((p) => {
      const v = p.getFirstValue();
      const a = (Array.isArray(v) ? v : [v]).map(textOf);
      const street = [a[1], a[2], a[0]].filter(Boolean).join(', ');
      return compact({ street, city: a[3], state: a[4], zip: a[5], country: a[6], type: typeOf(p) });
    })
    .filter((a) => Object.keys(a).some((k) => k !== 'type')) as ContactAddress[];
  if (addresses.length) card.addresses = addresses;
  const bday = component.getFirstPropertyValue('bday');
  if (bday) card.birthday = textOf(bday);
  return card;
}

/**
 * A card with the fields of its `vcard` filled in where the card itself has none (a caller may
 * give just `{name, phone, vcard}`); the card's own fields win.
 */
export function withVCardFields(card: ContactCard): ContactCard {
  const fromVCard = card.vcard ? vCardToContactCard(card.vcard) : null;
  if (!fromVCard) return card;
  const phones = card.phones?.length ? card.phones : fromVCard.phones;
  return toContactCard({
    ...fromVCard,
    ...compact({ ...card }),
    name: card.name || fromVCard.name || '',
    phones:
      card.phone && !phones?.some((p) => p.phone === card.phone)
        ? [{ phone: card.phone }, ...(phones ?? [])]
        : phones,
    org: card.org ?? fromVCard.org,
  } as ContactCard);
}

/** vCard 2.1 writes parameters without a name (`TEL;CELL;VOICE:`); ical.js wants `TYPE=CELL`. */
function withTypedBareParameters(text: string): string {
  const unfolded = text.replace(/\r?\n[ \t]/g, '');
  return unfolded
    .split(/\r?\n/)
    .map((line) => {
      const colon = paramsEnd(line);
      if (colon < 0) return line;
      const [name, ...params] = line.slice(0, colon).split(';');
      if (!params.length) return line;
      const fixed = params.map((p) => (p.includes('=') ? p : `TYPE=${p}`));
      return `${[name, ...fixed].join(';')}${line.slice(colon)}`;
    })
    .join('\r\n');
}

/** Index of the ':' that ends a content line's name and parameters (quoted ':' skipped), or -1. */
function paramsEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) return i;
  }
  return -1;
}

/** Same number written two ways (`+7 900 123-45-67`, `79001234567`). */
function samePhone(a: string, b: string): boolean {
  const digits = (p: string) => p.replace(/\D/g, '');
  return a === b || (digits(a) !== '' && digits(a) === digits(b));
}

function textOf(v: unknown): string {
  if (Array.isArray(v)) return v.map(textOf).filter(Boolean).join(' ');
  return v === null || v === undefined ? '' : String(v).trim();
}

/** `o` without undefined, null and '' members. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ) as T;
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list?.length ? list : undefined;
}
