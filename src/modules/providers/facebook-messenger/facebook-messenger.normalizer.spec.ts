import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundMessage, InboundResult } from '../normalized';
import { MsWebhook, normalizeMessengerEntry } from './facebook-messenger.normalizer';

const FIXTURES = join(__dirname, '../../../../test/fixtures/messenger');
const load = (f: string) => JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as MsWebhook;

function one(f: string): InboundResult {
  const items = (load(f).entry ?? []).flatMap((e) => normalizeMessengerEntry(e));
  expect(items).toHaveLength(1);
  return items[0].result;
}
function msg(f: string): InboundMessage {
  const r = one(f);
  if (r.kind !== 'message') throw new Error(`${f}: expected a message, got ${JSON.stringify(r)}`);
  return r.message;
}

describe('Messenger normalizer (restfb fixtures)', () => {
  it('text, numeric ids read as strings', () => {
    expect(msg('messaging-message-basic.json')).toMatchObject({
      type: 'text',
      chat: { id: expect.any(String), type: 'private' },
      from: { id: expect.any(String) },
    });
    expect(msg('messaging-message-basic.json').text).toBeTruthy();
  });

  it('attachments: media by CDN URL, stickers, locations, fallbacks as unsupported', () => {
    expect(msg('messaging-message-media-attachment.json')).toMatchObject({
      type: 'image',
      providerMessageId: 'mid.1458696618141:b4ef9d19ec21086067',
      media: { providerMediaId: 'IMAGE_URL' },
    });
    expect(msg('messaging-message-sticker.json')).toMatchObject({
      type: 'sticker',
      media: { providerMediaId: 'https://scontent.xx.fbcdn.net/sticker.png' },
    });
    expect(msg('messaging-message-location-attachment.json')).toMatchObject({
      type: 'location',
      location: { latitude: 12.34, longitude: 43.21 },
    });
    expect(msg('messaging-message-fallback-attachment.json')).toMatchObject({
      type: 'unsupported',
      unsupportedKind: 'fallback',
    });
    expect(msg('messaging-message-isunsupported.json').type).toBe('unsupported');
  });

  it('quick replies, replies, postbacks, reactions and edits', () => {
    expect(msg('messaging-message-quickreply.json')).toMatchObject({
      type: 'text',
      text: 'quick reply text',
      interactive: { type: 'quick_reply', payload: 'PAYLOAD_QUICK_REPLY' },
    });
    expect(msg('messaging-message-reply-1.json').replyTo).toBe(
      'very_long_id_representing_the_original_message',
    );
    expect(msg('messaging-postback-basic.json')).toMatchObject({
      type: 'interactive',
      interactive: { type: 'postback', payload: 'USER_DEFINED_PAYLOAD' },
    });
    expect(msg('messaging-reaction-1.json')).toMatchObject({
      type: 'reaction',
      reaction: { messageId: 'original_message_id', emoji: '😢' },
    });
    const edit = msg('messaging-message-edits.json');
    expect(edit).toMatchObject({
      providerMessageId: 'mid.1457764197618:41d102a3e1ae206a38',
      text: 'hello, world!',
    });
    expect(edit.editedAt).toBeInstanceOf(Date);
  });

  it('echoes are ours: fromMe, in the chat with the recipient (also from standby)', () => {
    for (const f of ['messaging-message-basic-echo.json', 'standby-message-basic-echo.json']) {
      expect(msg(f)).toMatchObject({ fromMe: true, chat: { id: '12345654332' }, text: 'hello, world!' });
    }
  });

  it('delivery and read watermarks become statuses of the chat with the sender', () => {
    expect(one('messaging-delivery-basic.json')).toEqual({
      kind: 'status',
      status: expect.objectContaining({
        status: 'delivered',
        providerChatId: '987654321432',
        watermark: new Date(1458668856253),
      }),
    });
    expect(one('messaging-read-basic.json')).toMatchObject({ kind: 'status', status: { status: 'read' } });
  });

  it('every fixture normalizes; events we do not model are skipped naming the event', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(39);
    for (const f of files) {
      for (const e of load(f).entry ?? []) {
        for (const item of normalizeMessengerEntry(e)) {
          expect(item.providerEventId).toBeTruthy();
          if (item.result.kind === 'skip') {
            expect(item.result.reason).toMatch(/^unmodeled_(event|message|field):\w+/);
          }
        }
      }
    }
    expect(one('messaging-optin-basic.json')).toEqual({ kind: 'skip', reason: 'unmodeled_event:optin' });
  });
});
