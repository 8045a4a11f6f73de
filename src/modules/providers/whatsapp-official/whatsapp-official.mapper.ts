import { ValidationError } from '../../../common/errors/app-error';
import type { ContactCard, OutboundMessage } from '../normalized';
import { cardPhones, withVCardFields } from '../vcard';

/** Business-scoped user id (2026), e.g. `US.13491208655302741918`: sent as `recipient`, not `to`. */
const BSUID = /^[A-Z]{2}\.(ENT\.)?\d+$/;
/** Phone number with country code, digits only after an optional `+`. */
const PHONE = /^\+?\d{6,15}$/;

/**
 * `to` → the Cloud API recipient field: `{to: "<digits>"}` for a phone number or
 * `{recipient: "<BSUID>"}`. @throws ValidationError naming `to`.
 */
export function whatsappRecipient(to: string): { to: string } | { recipient: string } {
  if (PHONE.test(to)) return { to: to.replace(/^\+/, '') };
  if (BSUID.test(to)) return { recipient: to };
  throw new ValidationError('to is not a WhatsApp recipient', [
    {
      field: 'to',
      message: 'expected a phone number with country code (digits, e.g. 16505551234) or a BSUID',
    },
  ]);
}

function mediaObject(m: OutboundMessage, withCaption: boolean): Record<string, unknown> {
  return {
    ...(m.media?.providerMediaId ? { id: m.media.providerMediaId } : { link: m.media?.url }),
    ...(withCaption && m.caption ? { caption: m.caption } : {}),
    ...(m.type === 'document' && m.filename ? { filename: m.filename } : {}),
  };
}

/**
 * The normalized outbound message → the Cloud API `POST /<PHONE_NUMBER_ID>/messages` body
 * (PROVIDERS.md §2.1; Meta: whatsapp/messages/send-messages, text/media/location/contacts/
 * reaction/template messages). `replyTo` becomes `context.message_id`; `voice` is sent as an
 * `audio` message (WhatsApp shows OGG/Opus audio as a voice note); a reaction with an empty
 * emoji removes the reaction.
 */
export function toCloudApiMessage(m: OutboundMessage): Record<string, unknown> {
  const envelope = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...whatsappRecipient(m.to),
    ...(m.replyTo && m.type !== 'reaction' ? { context: { message_id: m.replyTo } } : {}),
  };
  switch (m.type) {
    case 'text':
      return {
        ...envelope,
        type: 'text',
        text: { body: m.text ?? '', ...(m.previewUrl === undefined ? {} : { preview_url: m.previewUrl }) },
      };
    case 'image':
    case 'video':
    case 'document':
      return { ...envelope, type: m.type, [m.type]: mediaObject(m, true) };
    case 'audio':
    case 'voice':
      return { ...envelope, type: 'audio', audio: mediaObject(m, false) };
    case 'sticker':
      return { ...envelope, type: 'sticker', sticker: mediaObject(m, false) };
    case 'location':
      return {
        ...envelope,
        type: 'location',
        location: {
          latitude: m.latitude,
          longitude: m.longitude,
          ...(m.name ? { name: m.name } : {}),
          ...(m.address ? { address: m.address } : {}),
        },
      };
    case 'contacts':
      return {
        ...envelope,
        type: 'contacts',
        contacts: (m.contacts ?? []).map(toCloudApiContact),
      };
    case 'template':
      return {
        ...envelope,
        type: 'template',
        template: {
          name: m.template?.name,
          language: { code: m.template?.language },
          ...(m.template?.components ? { components: m.template.components } : {}),
        },
      };
    case 'reaction':
      return { ...envelope, type: 'reaction', reaction: { message_id: m.messageId, emoji: m.emoji ?? '' } };
    default:
      throw new ValidationError(`type ${String(m.type)} has no WhatsApp Cloud API form`, [
        { field: 'type', message: 'not supported by whatsapp-official' },
      ]);
  }
}

/**
 * A contact card → one Cloud API `contacts[]` object, every field kept (PROVIDERS.md §2.1; Meta:
 * messages/contacts-messages): `name {formatted_name, first_name, last_name, middle_name, suffix,
 * prefix}`, `phones[] {phone, type, wa_id}`, `emails[] {email, type}`, `org {company, department,
 * title}`, `urls[] {url, type}`, `addresses[] {street, city, state, zip, country, country_code,
 * type}`, `birthday`, in that order, parts the card lacks left out. The flat form `{name, phone}`
 * is one `CELL` phone; Meta wants one name part besides `formatted_name`, so a card with none
 * sends `first_name` = name. Fields the card lacks are taken from its `vcard`, if any.
 */
export function toCloudApiContact(card: ContactCard): Record<string, unknown> {
  const c = withVCardFields(card);
  const parts = {
    first_name: c.firstName,
    last_name: c.lastName,
    middle_name: c.middleName,
    suffix: c.suffix,
    prefix: c.prefix,
  };
  const named = Object.values(parts).some(Boolean);
  const phones = cardPhones(c);
  const org = defined({ company: c.org?.company, department: c.org?.department, title: c.org?.title });
  return defined({
    name: defined({ formatted_name: c.name, ...(named ? parts : { first_name: c.name }) }),
    phones: phones.length
      ? phones.map((p) => defined({ phone: p.phone, type: p.type, wa_id: p.waId }))
      : undefined,
    emails: c.emails?.length ? c.emails.map((e) => defined({ email: e.email, type: e.type })) : undefined,
    org: Object.keys(org).length ? org : undefined,
    urls: c.urls?.length ? c.urls.map((u) => defined({ url: u.url, type: u.type })) : undefined,
    addresses: c.addresses?.length
      ? c.addresses.map((a) =>
          defined({
            street: a.street,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
            country_code: a.countryCode,
            type: a.type,
          }),
        )
      : undefined,
    birthday: c.birthday,
  });
}

/** `o` without its undefined and empty-string members (key order kept). */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
}
