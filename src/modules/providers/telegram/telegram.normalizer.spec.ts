import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeTelegramUpdate, parseTelegramMessageId, TgUpdate } from './telegram.normalizer';

const FIXTURES = join(__dirname, '../../../../test/fixtures/telegram');
const load = (name: string): TgUpdate => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

describe('normalizeTelegramUpdate', () => {
  it('maps a text message with sender and chat', () => {
    const r = normalizeTelegramUpdate(load('message.json'));
    expect(r).toEqual({
      kind: 'message',
      message: expect.objectContaining({
        providerMessageId: '12345678:11223',
        chat: { id: '12345678', type: 'private', title: 'FirstName LastName' },
        from: { id: '12345678', name: 'FirstName LastName', username: 'username', isBot: false },
        type: 'text',
        text: 'Hi, world!',
        forwarded: false,
        timestamp: new Date(1508709711 * 1000),
      }),
    });
  });

  it('takes the largest photo size and the caption', () => {
    const u = load('message_with_photo.json');
    const sizes = (u.message as { photo: { file_id: string }[] }).photo;
    const r = normalizeTelegramUpdate(u);
    expect(r.kind === 'message' && r.message.type).toBe('image');
    expect(r.kind === 'message' && r.message.media?.providerMediaId).toBe(sizes[sizes.length - 1].file_id);
  });

  it.each([
    ['message_with_video.json', 'video'],
    ['message_with_audio.json', 'audio'],
    ['message_with_voice.json', 'voice'],
    ['message_with_document.json', 'document'],
    ['message_with_sticker.json', 'sticker'],
    ['message_with_location.json', 'location'],
    ['nutgram/contact.json', 'contacts'],
    ['nutgram/venue.json', 'location'],
    ['message_with_game.json', 'unsupported'],
  ])('%s → %s', (file, type) => {
    const r = normalizeTelegramUpdate(load(file));
    expect(r.kind).toBe('message');
    expect(r.kind === 'message' && r.message.type).toBe(type);
  });

  it('marks replies, forwards and edits', () => {
    const reply = normalizeTelegramUpdate(load('reply_message.json'));
    expect(reply.kind === 'message' && reply.message.replyTo).toMatch(/^-?\d+:\d+$/);
    const fwd = normalizeTelegramUpdate(load('forwarded_message.json'));
    expect(fwd.kind === 'message' && fwd.message.forwarded).toBe(true);
    const edit = normalizeTelegramUpdate(load('edited_message.json'));
    expect(edit.kind === 'message' && edit.message.editedAt).toBeInstanceOf(Date);
  });

  it('skips update kinds and service messages it does not handle, saying which', () => {
    expect(normalizeTelegramUpdate(load('pre_checkout_query.json'))).toEqual({
      kind: 'skip',
      reason: 'unsupported_update:pre_checkout_query',
    });
    expect(normalizeTelegramUpdate(load('nutgram/callback_query.json'))).toEqual({
      kind: 'skip',
      reason: 'unsupported_update:callback_query',
    });
    expect(normalizeTelegramUpdate(load('nutgram/new_chat_members.json'))).toEqual({
      kind: 'skip',
      reason: 'service_message:new_chat_members',
    });
  });

  it('normalizes every nutgram fixture without throwing', () => {
    const files = readdirSync(join(FIXTURES, 'nutgram')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const r = normalizeTelegramUpdate(load(`nutgram/${f}`));
      expect(['message', 'skip']).toContain(r.kind);
      if (r.kind === 'skip') expect(r.reason).toMatch(/^(unsupported_update|service_message):\w+$/);
      else expect(r.message.providerMessageId).toBeTruthy();
    }
  });

  it('parses our Telegram message ids', () => {
    expect(parseTelegramMessageId('-100123:42')).toEqual({ chatId: '-100123', messageId: 42 });
    expect(parseTelegramMessageId('42')).toEqual({ chatId: undefined, messageId: 42 });
    expect(parseTelegramMessageId('nope')).toBeNull();
  });
});
