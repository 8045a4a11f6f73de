import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContactCard } from './normalized';
import { telegramContact } from './telegram/telegram.adapter';
import { TELEGRAM } from './telegram/telegram.client';
import { fromTelegramContact, type TgMessage } from './telegram/telegram.normalizer';
import { toCloudApiContact } from './whatsapp-official/whatsapp-official.mapper';
import { fromCloudApiContact } from './whatsapp-official/whatsapp-official.normalizer';
import {
  cardPhones,
  contactCardToVCard,
  hasMoreThanNameAndPhone,
  toContactCard,
  vCardToContactCard,
  withVCardFields,
} from './vcard';

const FIXTURES = join(__dirname, '../../../test/fixtures');

/** Every field a card can have. */
const FULL: ContactCard = {
  name: 'Dr. Ann Q. Lee, Jr.',
  firstName: 'Ann',
  lastName: 'Lee',
  middleName: 'Q.',
  prefix: 'Dr.',
  suffix: 'Jr.',
  phone: '+1 650-555-0101',
  phones: [
    { phone: '+1 650-555-0101', type: 'CELL', waId: '16505550101' },
    { phone: '+1 650 555 0102', type: 'WORK' },
  ],
  emails: [
    { email: 'ann@example.com', type: 'WORK' },
    { email: 'ann.lee@example.org', type: 'HOME' },
  ],
  org: { company: 'Acme; Inc', department: 'Sales', title: 'Head of Sales' },
  urls: [{ url: 'https://acme.example/ann', type: 'WORK' }],
  addresses: [
    {
      street: '1 Hacker Way',
      city: 'Menlo Park',
      state: 'CA',
      zip: '94025',
      country: 'United States',
      countryCode: 'US',
      type: 'WORK',
    },
  ],
  birthday: '1990-01-02',
};

describe('vCard mapping (vcard.ts)', () => {
  it('writes every field of a card as vCard 3.0 text, escaped, with WhatsApp’s waid parameter', () => {
    expect(contactCardToVCard(FULL)).toBe(
      [
        'BEGIN:VCARD',
        'VERSION:3.0',
        'N:Lee;Ann;Q.;Dr.;Jr.',
        'FN:Dr. Ann Q. Lee\\, Jr.',
        'ORG:Acme\\; Inc;Sales',
        'TITLE:Head of Sales',
        'TEL;TYPE=CELL;WAID=16505550101:+1 650-555-0101',
        'TEL;TYPE=WORK:+1 650 555 0102',
        'EMAIL;TYPE=WORK:ann@example.com',
        'EMAIL;TYPE=HOME:ann.lee@example.org',
        'URL;TYPE=WORK:https://acme.example/ann',
        'ADR;TYPE=WORK:;;1 Hacker Way;Menlo Park;CA;94025;United States',
        'BDAY;VALUE=DATE:19900102',
        'END:VCARD',
        '',
      ].join('\r\n'),
    );
  });

  it('reads back everything it writes (countryCode has no vCard field)', () => {
    const { phone: _phone, ...rest } = FULL;
    const back = vCardToContactCard(contactCardToVCard(FULL));
    expect(back).toEqual({
      ...rest,
      addresses: [{ ...FULL.addresses![0], countryCode: undefined }].map(({ countryCode: _, ...a }) => a),
    });
  });

  it('reads vCard 2.1 bare parameters as Telegram sends them (nutgram contact.json)', () => {
    const update = JSON.parse(readFileSync(join(FIXTURES, 'telegram/nutgram/contact.json'), 'utf8')) as {
      message: TgMessage;
    };
    expect(update.message.contact!.vcard).toBe('BEGIN:VCARD\nVERSION:3.0\nFN:911\nTEL;VOICE:911\nEND:VCARD');
    expect(vCardToContactCard(update.message.contact!.vcard!)).toEqual({
      name: '911',
      phones: [{ phone: '911', type: 'VOICE' }],
    });
    expect(
      vCardToContactCard('BEGIN:VCARD\nVERSION:2.1\nN:Doe;Jane\nTEL;CELL;PREF:+1 555 0100\nEND:VCARD'),
    ).toEqual({
      firstName: 'Jane',
      lastName: 'Doe',
      phones: [{ phone: '+1 555 0100', type: 'CELL' }],
    });
  });

  it('reads WhatsApp- and Apple-style cards: waid, item labels, folded lines; vCard 4.0 tel: URIs', () => {
    const whatsapp = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:;Bob;;;',
      'FN:Bob',
      'item1.TEL;waid=15551234567:+1 (555) 123-4567',
      'item1.X-ABLabel:_$!<Mobile>!$_',
      'EMAIL;type=INTERNET;type=HOME:bob@exam',
      ' ple.com',
      'END:VCARD',
    ].join('\r\n');
    expect(vCardToContactCard(whatsapp)).toEqual({
      name: 'Bob',
      firstName: 'Bob',
      phones: [{ phone: '+1 (555) 123-4567', type: 'Mobile', waId: '15551234567' }],
      emails: [{ email: 'bob@example.com', type: 'HOME' }],
    });
    expect(
      vCardToContactCard(
        'BEGIN:VCARD\nVERSION:4.0\nFN:C\nTEL;VALUE=uri;TYPE="voice,cell":tel:+1-555-0100\nEND:VCARD',
      ),
    ).toEqual({ name: 'C', phones: [{ phone: '+1-555-0100', type: 'cell' }] });
  });

  it('is null for text that is no vCard', () => {
    expect(vCardToContactCard('hello')).toBeNull();
    expect(vCardToContactCard('BEGIN:VCALENDAR\nEND:VCALENDAR')).toBeNull();
    expect(vCardToContactCard('BEGIN:VCARD\nVERSION:3.0\nFN:x')).toBeNull();
  });

  it('toContactCard: the flat form stays flat; phone = the first phone; a phone not listed comes first', () => {
    expect(toContactCard({ name: 'Ann', phone: '+1555', firstName: undefined })).toEqual({
      name: 'Ann',
      phone: '+1555',
    });
    expect(toContactCard({ name: 'Ann', phones: [{ phone: '+1 555' }, { phone: '+1 556' }] })).toEqual({
      name: 'Ann',
      phone: '+1 555',
      phones: [{ phone: '+1 555' }, { phone: '+1 556' }],
    });
    expect(toContactCard({ name: 'Ann', phone: '1557', phones: [{ phone: '+1 555' }] }).phones).toEqual([
      { phone: '1557' },
      { phone: '+1 555' },
    ]);
    expect(cardPhones({ phone: '15550100', phones: [{ phone: '+1 555-0100', type: 'HOME' }] })).toEqual([
      { phone: '+1 555-0100', type: 'HOME' },
    ]);
    expect(cardPhones({ phone: '+1555' })).toEqual([{ phone: '+1555', type: 'CELL' }]);
  });

  it('withVCardFields fills what a card lacks from its vcard, the card’s own fields winning', () => {
    const card = withVCardFields({
      name: 'Ann Lee',
      phone: '+1 650-555-0101',
      vcard: contactCardToVCard({ ...FULL, name: 'Other' }),
    });
    expect(card).toMatchObject({
      name: 'Ann Lee',
      firstName: 'Ann',
      phone: '+1 650-555-0101',
      phones: FULL.phones,
      emails: FULL.emails,
      org: FULL.org,
      birthday: '1990-01-02',
    });
  });
});

describe('WhatsApp contacts ↔ card', () => {
  /** Meta's documented inbound `contacts` card (webhooks/reference/messages/contacts), every field. */
  const waCard = {
    name: {
      formatted_name: 'Dr. Ann Q. Lee, Jr.',
      first_name: 'Ann',
      last_name: 'Lee',
      middle_name: 'Q.',
      suffix: 'Jr.',
      prefix: 'Dr.',
    },
    phones: [
      { phone: '+1 650-555-0101', type: 'CELL', wa_id: '16505550101' },
      { phone: '+1 650 555 0102', type: 'WORK' },
    ],
    emails: [
      { email: 'ann@example.com', type: 'WORK' },
      { email: 'ann.lee@example.org', type: 'HOME' },
    ],
    org: { company: 'Acme; Inc', department: 'Sales', title: 'Head of Sales' },
    urls: [{ url: 'https://acme.example/ann', type: 'WORK' }],
    addresses: [
      {
        street: '1 Hacker Way',
        city: 'Menlo Park',
        state: 'CA',
        zip: '94025',
        country: 'United States',
        country_code: 'US',
        type: 'WORK',
      },
    ],
    birthday: '1990-01-02',
  };

  it('inbound keeps every field; outbound gives the same object back, key for key', () => {
    const card = fromCloudApiContact(waCard);
    expect(card).toEqual({ ...FULL, providerContactId: '16505550101' });
    expect(JSON.stringify(toCloudApiContact(card))).toBe(JSON.stringify(waCard));
  });

  it('the flat form is one CELL phone with first_name = name (existing behaviour)', () => {
    expect(toCloudApiContact({ name: 'Support Desk', phone: '+16505550000' })).toEqual({
      name: { formatted_name: 'Support Desk', first_name: 'Support Desk' },
      phones: [{ phone: '+16505550000', type: 'CELL' }],
    });
  });

  // the vcard of restfb's webhook-incoming-message-contacts-request-bsuid.json (test/fixtures/whatsapp-cloud/restfb)
  it('a card with only a name and a vcard gets its fields from the vcard', () => {
    expect(
      fromCloudApiContact({
        name: { formatted_name: 'Sheena Nelson' },
        vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Sheena Nelson\nTEL;TYPE=CELL:15551234567\nEND:VCARD',
      }),
    ).toEqual({
      name: 'Sheena Nelson',
      phone: '15551234567',
      phones: [{ phone: '15551234567', type: 'CELL' }],
      vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Sheena Nelson\nTEL;TYPE=CELL:15551234567\nEND:VCARD',
    });
    expect(fromCloudApiContact({ name: { first_name: 'j_doe', formatted_name: 'j_doe' } })).toEqual({
      name: 'j_doe',
      firstName: 'j_doe',
      phone: '',
    });
  });
});

describe('Telegram contact ↔ card', () => {
  it('sendContact: the flat form sends no vcard; a rich card sends the rest as a vCard', () => {
    expect(
      telegramContact({ name: 'Ann Lee', firstName: 'Ann', lastName: 'Lee', phone: '+15550001' }),
    ).toEqual({
      phone_number: '+15550001',
      first_name: 'Ann',
      last_name: 'Lee',
    });
    expect(hasMoreThanNameAndPhone({ name: 'Ann', phone: '+1' })).toBe(false);
    const rich = telegramContact(toContactCard(FULL));
    expect(rich).toEqual({
      phone_number: '+1 650-555-0101',
      first_name: 'Ann',
      last_name: 'Lee',
      vcard: contactCardToVCard(toContactCard(FULL)),
    });
    const { phone: _phone, ...sent } = toContactCard(FULL);
    const { countryCode: _cc, ...address } = FULL.addresses![0];
    expect(vCardToContactCard(rich.vcard!)).toEqual({ ...sent, addresses: [address] });
  });

  it('a card given with its own vcard sends that vcard unchanged', () => {
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:911\nTEL;VOICE:911\nEND:VCARD';
    expect(telegramContact({ name: '911', phone: '911', vcard }).vcard).toBe(vcard);
  });

  it('refuses (422, provider telegram) a vCard over 2048 bytes, naming the field', () => {
    const big = {
      ...FULL,
      urls: Array.from({ length: 60 }, (_, i) => ({ url: `https://acme.example/${i}/long/path` })),
    };
    const bytes = Buffer.byteLength(contactCardToVCard(big));
    expect(bytes).toBeGreaterThan(2048);
    expect(() => telegramContact(big)).toThrow(`this card makes ${bytes}`);
    expect(() => telegramContact(big)).toThrow(
      expect.objectContaining({
        status: 422,
        code: 'vcard_too_long',
        extra: expect.objectContaining({
          provider: TELEGRAM,
          errors: [expect.objectContaining({ field: 'contacts.0' })],
        }),
      }),
    );
  });

  it('inbound contact + vcard keeps every vCard field and Telegram’s own', () => {
    const vcard = contactCardToVCard(FULL);
    const card = fromTelegramContact({
      phone_number: '16505550101',
      first_name: 'Ann',
      last_name: 'Lee',
      user_id: 777,
      vcard,
    });
    const { countryCode: _cc, ...address } = FULL.addresses![0];
    expect(card).toEqual({
      ...FULL,
      name: 'Ann Lee',
      phone: '16505550101',
      addresses: [address],
      vcard,
      providerContactId: '777',
    });
    expect(fromTelegramContact({ phone_number: '+7 900', first_name: 'Ivan' })).toEqual({
      name: 'Ivan',
      firstName: 'Ivan',
      phone: '+7 900',
    });
  });
});
