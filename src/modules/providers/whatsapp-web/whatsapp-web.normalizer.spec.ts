import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawWAMessage } from './engine';
import {
  normalizeReceipt,
  normalizeUpdate,
  normalizeWAMessage,
  toNumber,
  cardToVcard,
  vcardToCard,
} from './whatsapp-web.normalizer';

/** Generated offline with Baileys' own generateWAMessage (scripts/generate-whatsapp-web-fixtures.mjs). */
const F = JSON.parse(
  readFileSync(join(__dirname, '../../../../test/fixtures/whatsapp-web/messages.json'), 'utf8'),
) as Record<string, RawWAMessage>;
const ALICE = '79001234567@s.whatsapp.net';
const at = new Date(1796350330 * 1000);
const message = (raw: RawWAMessage, ctx = {}) => {
  const r = normalizeWAMessage(raw, ctx);
  if (r.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.message;
};

describe('normalizeWAMessage on generateWAMessage fixtures', () => {
  it('text (extendedTextMessage) and conversation', () => {
    expect(message(F.text)).toEqual({
      providerMessageId: '3EB0TEXT00000001',
      chat: { id: ALICE, type: 'private' },
      from: { id: ALICE, name: 'Alice', phone: '79001234567' },
      type: 'text',
      text: 'hello',
      timestamp: at,
    });
    expect(message(F.conversation)).toMatchObject({ type: 'text', text: 'plain' });
  });

  it('reply: contextInfo.stanzaId → replyTo', () => {
    expect(message(F.reply)).toMatchObject({ type: 'text', text: 'reply', replyTo: '3EB0ORIGINAL0001' });
  });

  it('image, video, sticker, document with caption and size; audio vs voice note (ptt)', () => {
    expect(message(F.image)).toMatchObject({
      type: 'image',
      text: 'a pixel',
      media: { providerMediaId: '3EB0IMAGE0000001', mimeType: 'image/jpeg', caption: 'a pixel', size: 70 },
    });
    expect(message(F.video)).toMatchObject({
      type: 'video',
      media: { caption: 'clip', mimeType: 'video/mp4', duration: 3 },
    });
    expect(message(F.sticker)).toMatchObject({
      type: 'sticker',
      media: { providerMediaId: '3EB0STICKER00001' },
    });
    expect(message(F.document)).toMatchObject({
      type: 'document',
      text: 'the invoice',
      media: { fileName: 'invoice.pdf', mimeType: 'application/pdf', caption: 'the invoice', size: 17 },
    });
    expect(message(F.audio)).toMatchObject({ type: 'audio', media: { mimeType: 'audio/mpeg', duration: 7 } });
    expect(message(F.voice)).toMatchObject({
      type: 'voice',
      media: { mimeType: 'audio/ogg; codecs=opus', duration: 4 },
    });
  });

  it('location', () => {
    expect(message(F.location)).toMatchObject({
      type: 'location',
      location: { latitude: 55.7558, longitude: 37.6173, name: 'Red Square', address: 'Moscow' },
    });
  });

  it('contact and contacts array: vCard → the rich card', () => {
    expect(message(F.contact).contacts).toEqual([
      {
        name: 'Ivan Petrov',
        firstName: 'Ivan',
        lastName: 'Petrov',
        phone: '+7 900 555-66-77',
        phones: [{ phone: '+7 900 555-66-77', type: 'CELL', waId: '79005556677' }],
        vcard: expect.stringContaining('FN:Ivan Petrov'),
        providerContactId: '79005556677@s.whatsapp.net',
      },
    ]);
    expect(message(F.contacts).contacts?.map((c) => [c.name, c.providerContactId])).toEqual([
      ['Ann', '15551112222@s.whatsapp.net'],
      ['Bob', '15553334444@s.whatsapp.net'],
    ]);
  });

  it('reaction names the reacted message', () => {
    expect(message(F.reaction)).toMatchObject({
      providerMessageId: '3EB0REACT0000001',
      type: 'reaction',
      reaction: { messageId: '3EB0ORIGINAL0001', emoji: '👍' },
    });
  });

  it('revoke → the original marked deleted; edit → the original with the new text and editedAt', () => {
    expect(message(F.revoke)).toMatchObject({
      providerMessageId: '3EB0ORIGINAL0001',
      type: 'deleted',
      editedAt: at,
    });
    const edit = message(F.edit);
    expect(edit).toMatchObject({ providerMessageId: '3EB0ORIGINAL0001', type: 'text', text: 'edited text' });
    expect(edit.editedAt).toEqual(
      new Date(
        toNumber(
          (F.edit.message as never as { protocolMessage: { timestampMs: string } }).protocolMessage
            .timestampMs,
        )!,
      ),
    );
  });

  it('LID 1:1: the phone JID is the chat and contact id, the LID beside it', () => {
    expect(message(F.lidText)).toMatchObject({
      chat: { id: ALICE, type: 'private' },
      from: { id: ALICE, phone: '79001234567' },
      text: 'via lid',
    });
  });

  it('LID only: the LID is the id until a mapping is known, then the phone', () => {
    const lidOnly = { ...F.text, key: { remoteJid: '999888777666555@lid', fromMe: false, id: 'X1' } };
    expect(message(lidOnly).chat.id).toBe('999888777666555@lid');
    const mapped = message(lidOnly, {
      lidToPn: (l: string) => (l === '999888777666555@lid' ? '15557654321@s.whatsapp.net' : undefined),
    });
    expect(mapped.chat.id).toBe('15557654321@s.whatsapp.net');
    expect(mapped.from).toMatchObject({ id: '15557654321@s.whatsapp.net', phone: '15557654321' });
  });

  it('group: chat type group, participant (by its phone alternative) as sender', () => {
    expect(message(F.groupText)).toMatchObject({
      chat: { id: '120363012345678901@g.us', type: 'group' },
      from: { id: ALICE, name: 'Alice', phone: '79001234567' },
    });
  });

  it('wrappers: ephemeral and view-once are unwrapped', () => {
    expect(message(F.ephemeral)).toMatchObject({ type: 'text', text: 'disappearing' });
    expect(message(F.viewOnce)).toMatchObject({ type: 'image', media: { caption: 'a pixel' } });
  });

  it('our own messages (sent from the phone) are fromMe with our account as sender', () => {
    const own = message(F.original, { meJid: '15550001111:3@s.whatsapp.net', meName: 'Me' });
    expect(own).toMatchObject({
      fromMe: true,
      chat: { id: ALICE },
      from: { id: '15550001111@s.whatsapp.net', name: 'Me' },
    });
  });

  it('skips status broadcasts, stubs without content and key distribution', () => {
    expect(
      normalizeWAMessage({ ...F.text, key: { ...F.text.key, remoteJid: 'status@broadcast' } }),
    ).toMatchObject({ kind: 'skip' });
    expect(normalizeWAMessage({ key: { remoteJid: ALICE, id: 'S1' }, messageStubType: 'REVOKE' })).toEqual({
      kind: 'skip',
      reason: 'stub REVOKE',
    });
    expect(
      normalizeWAMessage({
        key: { remoteJid: ALICE, id: 'K1' },
        message: { senderKeyDistributionMessage: {}, messageContextInfo: {} },
      }),
    ).toMatchObject({ kind: 'skip' });
  });

  it('unknown content is stored as unsupported with its kind', () => {
    expect(message({ ...F.text, message: { pollCreationMessageV3: { name: 'q' } } })).toMatchObject({
      type: 'unsupported',
      unsupportedKind: 'pollCreationMessageV3',
    });
  });

  it('Long as string, number and {low,high}', () => {
    expect(toNumber('1796350330')).toBe(1796350330);
    expect(toNumber(1796350330)).toBe(1796350330);
    expect(toNumber({ low: 1796350330, high: 0, unsigned: true })).toBe(1796350330);
    expect(toNumber({ low: 0, high: 1 })).toBe(2 ** 32);
    expect(toNumber('x')).toBeUndefined();
  });
});

describe('receipts', () => {
  const key = { remoteJid: ALICE, fromMe: true, id: 'OUT1' };
  it('messages.update status (numbers or names) → delivered / read / played / failed, ours only', () => {
    expect(normalizeUpdate({ key, update: { status: 3 } })?.result).toMatchObject({
      kind: 'status',
      status: { status: 'delivered', providerMessageId: 'OUT1' },
    });
    expect(normalizeUpdate({ key, update: { status: 'READ' } })?.result).toMatchObject({
      status: { status: 'read' },
    });
    expect(normalizeUpdate({ key, update: { status: 5 } })?.result).toMatchObject({
      status: { status: 'played' },
    });
    expect(normalizeUpdate({ key, update: { status: 0 } })?.result).toMatchObject({
      status: { status: 'failed' },
    });
    expect(normalizeUpdate({ key, update: { status: 2 } })).toBeUndefined(); // server ack: already `sent`
    expect(normalizeUpdate({ key: { ...key, fromMe: false }, update: { status: 4 } })).toBeUndefined();
    expect(normalizeUpdate({ key, update: { status: 3 } })?.eventId).toBe('status:OUT1:delivered');
  });

  it('message-receipt.update (groups): per participant', () => {
    const r = normalizeReceipt({
      key: { ...key, remoteJid: '1@g.us' },
      receipt: { userJid: '5:2@s.whatsapp.net', readTimestamp: '1796350330' },
    });
    expect(r).toEqual({
      eventId: 'receipt:OUT1:5@s.whatsapp.net:read',
      result: {
        kind: 'status',
        status: { status: 'read', providerMessageId: 'OUT1', recipientId: '5@s.whatsapp.net', timestamp: at },
      },
    });
  });
});

describe('vCards (vcard.ts)', () => {
  it('inbound: the display name when the card has no FN; the waid names the contact', () => {
    const card = vcardToCard(
      'BEGIN:VCARD\nVERSION:3.0\nTEL;type=CELL;waid=123456789:+1 234 567 89\nEND:VCARD',
      'Zed',
    );
    expect(card).toMatchObject({
      name: 'Zed',
      phone: '+1 234 567 89',
      providerContactId: '123456789@s.whatsapp.net',
    });
  });

  it('outbound: the flat card becomes a vCard with a tappable waid; a given vcard is sent as is', () => {
    const v = cardToVcard({
      name: 'Ivan Petrov',
      firstName: 'Ivan',
      lastName: 'Petrov',
      phone: '+7 900 555-66-77',
    });
    expect(v).toContain('FN:Ivan Petrov');
    expect(v).toMatch(/TEL[^:\n]*waid=79005556677[^:\n]*:\+7 900 555-66-77/i);
    expect(vcardToCard(v)).toMatchObject({
      name: 'Ivan Petrov',
      providerContactId: '79005556677@s.whatsapp.net',
    });
    expect(cardToVcard({ name: 'x', vcard: 'BEGIN:VCARD\nFN:x\nEND:VCARD' })).toBe(
      'BEGIN:VCARD\nFN:x\nEND:VCARD',
    );
  });
});
