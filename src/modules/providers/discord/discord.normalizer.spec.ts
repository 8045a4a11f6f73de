import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundMessage, MessageOrSkip } from '../normalized';
import { normalizeDiscordDispatch, parseDiscordMessageId } from './discord.normalizer';
import { normalizeDiscordInteraction } from './discord.interactions';

const ROOT = join(__dirname, '../../../../test/fixtures/discord');
const ALL_INTENTS = 1 | 512 | 1024 | 4096 | 8192 | 32768;

/** serenity's files are bare `d` objects: the event type comes from the file name. */
const SERENITY_EVENT: [RegExp, string][] = [
  [/^message_create_|^message_footer_|^message_type_/, 'MESSAGE_CREATE'],
  [/^message_update_/, 'MESSAGE_UPDATE'],
  [/^message_reaction_add_/, 'MESSAGE_REACTION_ADD'],
  [/^message_reaction_remove_all_/, 'MESSAGE_REACTION_REMOVE_ALL'],
  [/^message_reaction_remove_/, 'MESSAGE_REACTION_REMOVE'],
  [/^typing_start_/, 'TYPING_START'],
];

function load(rel: string): { t: string; d: Record<string, unknown> } {
  const body = JSON.parse(readFileSync(join(ROOT, rel), 'utf8'));
  if (rel.startsWith('serenity/')) {
    const name = rel.split('/').pop()!;
    const t = SERENITY_EVENT.find(([re]) => re.test(name))?.[1];
    if (!t) throw new Error(`no event type for ${name}`);
    return { t, d: body };
  }
  return { t: body.t, d: body.d };
}

const run = (rel: string, intents = ALL_INTENTS, botUserId = '999999999999999999'): MessageOrSkip =>
  normalizeDiscordDispatch(load(rel).t, load(rel).d, { intents, botUserId }).result;
const msg = (r: MessageOrSkip): InboundMessage => {
  if (r.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.message;
};

/** What every dispatch fixture becomes: a message (checked field by field below) or a named skip. */
const EXPECTED: Record<string, string> = {
  'discord4j/gateway/MessageCreate.Type0.json': 'message',
  'discord4j/gateway/MessageCreate.Type19.json': 'message',
  'discord4j/gateway/MessageCreate.Type6.json': 'message',
  'discord4j/gateway/MessageUpdate.NoEmbeds.json': 'skip:update_without_edit',
  'discord4j/gateway/MessageUpdate.Embeds.json': 'skip:partial_update_without_content',
  'discord4j/gateway/MessageDelete.json': 'message',
  'discord4j/gateway/MessageReactionAdd.json': 'message',
  'discord4j/gateway/MessageReactionRemove.json': 'skip:unsupported_event:MESSAGE_REACTION_REMOVE',
  'discord4j/gateway/TypingStart.json': 'skip:unsupported_event:TYPING_START',
  'discord4j/gateway/ChannelCreate.json': 'skip:unsupported_event:CHANNEL_CREATE',
  'discord4j/gateway/InteractionCreate.json': 'skip:unsupported_event:INTERACTION_CREATE',
  'discord4j/gateway/Ready.json': 'skip:unsupported_event:READY',
  'constructed/MessageCreate.DM.json': 'message',
  'constructed/MessageCreate.Attachment.json': 'message',
  'constructed/MessageCreate.Voice.json': 'message',
  'constructed/MessageCreate.Sticker.json': 'message',
  'constructed/MessageCreate.Forward.json': 'message',
  'serenity/message_create_1.json': 'message',
  'serenity/message_create_2.json': 'skip:bot_author',
  'serenity/message_create_3.json': 'skip:bot_author',
  'serenity/message_footer_1.json': 'skip:bot_author',
  'serenity/message_footer_2.json': 'skip:bot_author',
  'serenity/message_type_7.json': 'skip:bot_author',
  'serenity/message_update_1.json': 'message',
  'serenity/message_reaction_add_1.json': 'message',
  'serenity/message_reaction_add_2.json': 'message',
  'serenity/message_reaction_add_3.json': 'message',
  'serenity/message_reaction_remove_1.json': 'skip:unsupported_event:MESSAGE_REACTION_REMOVE',
  'serenity/message_reaction_remove_2.json': 'skip:unsupported_event:MESSAGE_REACTION_REMOVE',
  'serenity/message_reaction_remove_3.json': 'skip:unsupported_event:MESSAGE_REACTION_REMOVE',
  'serenity/message_reaction_remove_all_1.json': 'skip:unsupported_event:MESSAGE_REACTION_REMOVE_ALL',
  'serenity/typing_start_1.json': 'skip:unsupported_event:TYPING_START',
};

/** Gateway frames that are not dispatches (the library handles them) and REST objects. */
const NOT_DISPATCHES = new Set([
  'discord4j/gateway/Hello.json',
  'discord4j/gateway/HeartbeatAck.json',
  'discord4j/gateway/InvalidSession.json',
  'discord4j/gateway/Reconnect.json',
]);

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  );
}

describe('Discord normalizer', () => {
  it('turns every dispatch fixture into a stored message or a named skip', () => {
    const all = [...files('discord4j/gateway'), ...files('serenity'), ...files('constructed')].filter(
      (f) => !f.includes('/outbound/') && !NOT_DISPATCHES.has(f),
    );
    expect(all.sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const f of all) {
      const r = run(f);
      const got = r.kind === 'message' ? 'message' : `skip:${r.reason}`;
      expect({ f, got }).toEqual({ f, got: EXPECTED[f] });
    }
  });

  it('guild text: channel-scoped id, group chat, nick/global name, timestamp', () => {
    const m = msg(run('discord4j/gateway/MessageCreate.Type0.json'));
    expect(m).toMatchObject({
      providerMessageId: '727947198481956945:732582724170285086',
      chat: { id: '727947198481956945', type: 'group' },
      type: 'text',
      text: '.ping',
      timestamp: new Date('2020-07-14T13:02:12.171Z'),
    });
    expect(m.from.id).toMatch(/^\d+$/);
    expect(m.replyTo).toBeUndefined();
  });

  it('type 19 reply → replyTo is the referenced message, scoped by its channel', () => {
    const m = msg(run('discord4j/gateway/MessageCreate.Type19.json'));
    expect(m).toMatchObject({
      providerMessageId: '563557393640849437:779520963116400721',
      text: 'cool.',
      replyTo: '563557393640849437:775214933398782002',
    });
  });

  it('DM → private chat, sender named by global_name', () => {
    const m = msg(run('constructed/MessageCreate.DM.json'));
    expect(m).toMatchObject({
      chat: { id: '1312345678900000001', type: 'private' },
      from: { id: '1300000000000000001', name: 'Alice', username: 'alice', isBot: false },
      text: 'hi bot, a DM',
    });
  });

  it('attachments become media downloaded on demand (channel:message:attachment), caption = content', () => {
    const m = msg(run('constructed/MessageCreate.Attachment.json'));
    expect(m).toMatchObject({
      type: 'document',
      text: 'the invoice',
      from: { name: 'Ali' },
      media: {
        providerMediaId: '1312345678900000002:1312345678901234568:1312345678909999999',
        mimeType: 'application/pdf',
        fileName: 'invoice.pdf',
        size: 5,
        caption: 'the invoice',
      },
    });
    const v = msg(run('constructed/MessageCreate.Voice.json'));
    expect(v).toMatchObject({ type: 'voice', media: { mimeType: 'audio/ogg', duration: 3.2 } });
  });

  it('stickers and forwards', () => {
    const s = msg(run('constructed/MessageCreate.Sticker.json'));
    expect(s).toMatchObject({
      type: 'sticker',
      media: {
        providerMediaId: 'sticker:749054660769218631',
        fileName: 'Wave',
        mimeType: 'application/json',
      },
      from: { name: 'bob' },
    });
    const f = msg(run('constructed/MessageCreate.Forward.json'));
    expect(f).toMatchObject({ type: 'text', text: 'forwarded words', forwarded: true });
    expect(f.replyTo).toBeUndefined();
  });

  it('MESSAGE_UPDATE with an edit → same id with editedAt; partial updates leave the text alone', () => {
    const m = msg(run('serenity/message_update_1.json'));
    expect(m).toMatchObject({
      providerMessageId: '244567637332328449:302917639565475840',
      text: 'b',
      editedAt: new Date('2017-04-15T21:30:43.074Z'),
    });
  });

  it('MESSAGE_DELETE → the stored row keyed <channel>:<id> becomes type deleted (timestamp from the snowflake)', () => {
    const m = msg(run('discord4j/gateway/MessageDelete.json'));
    expect(m).toMatchObject({
      providerMessageId: '680839020124700740:680840044138987656',
      chat: { id: '680839020124700740', type: 'group' },
      type: 'deleted',
    });
    // (680840044138987656 >> 22) ms after Discord's epoch, 2015-01-01
    expect(m.timestamp.toISOString()).toBe('2020-02-22T18:15:15.919Z');
    expect(m.editedAt).toBeInstanceOf(Date);
  });

  it('reactions: unicode as is, custom as <:name:id>; our own reactions and messages are skipped', () => {
    const r = msg(run('discord4j/gateway/MessageReactionAdd.json'));
    expect(r).toMatchObject({
      type: 'reaction',
      chat: { id: '185949590652977152' },
      reaction: { messageId: '185949590652977152:679003565884440580', emoji: '😊' },
      from: { id: '123456789012345678' },
    });
    const custom = normalizeDiscordDispatch('MESSAGE_REACTION_ADD', {
      user_id: '1300000000000000001',
      channel_id: '1312345678900000002',
      message_id: '1312345678901234568',
      emoji: { id: '238039508006862848', name: 'AkaShrug' },
    }).result;
    expect(msg(custom).reaction).toEqual({
      messageId: '1312345678900000002:1312345678901234568',
      emoji: '<:AkaShrug:238039508006862848>',
    });
    const own = load('discord4j/gateway/MessageCreate.Type0.json');
    const ownId = (own.d.author as { id: string }).id;
    expect(normalizeDiscordDispatch(own.t, own.d, { botUserId: ownId }).result).toEqual({
      kind: 'skip',
      reason: 'own_message',
    });
    expect(run('discord4j/gateway/MessageReactionAdd.json', ALL_INTENTS, '123456789012345678')).toEqual({
      kind: 'skip',
      reason: 'own_reaction',
    });
  });

  it('an empty guild message without the MESSAGE_CONTENT intent is a named skip, not empty text', () => {
    const { d } = load('discord4j/gateway/MessageCreate.Type0.json');
    const empty = { ...d, content: '', embeds: [], attachments: [] };
    expect(normalizeDiscordDispatch('MESSAGE_CREATE', empty, { intents: 512 }).result).toEqual({
      kind: 'skip',
      reason: 'message_content_intent_missing',
    });
    expect(normalizeDiscordDispatch('MESSAGE_CREATE', empty, { intents: ALL_INTENTS }).result).toEqual({
      kind: 'skip',
      reason: 'empty_message',
    });
  });

  it('event ids dedupe redeliveries and tell edits apart', () => {
    const a = normalizeDiscordDispatch(
      load('serenity/message_update_1.json').t,
      load('serenity/message_update_1.json').d,
    );
    expect(a.providerEventId).toBe(
      'MESSAGE_UPDATE:244567637332328449:302917639565475840:2017-04-15T21:30:43.074233+00:00',
    );
    const c = load('discord4j/gateway/MessageCreate.Type0.json');
    expect(normalizeDiscordDispatch(c.t, c.d).providerEventId).toBe(
      'MESSAGE_CREATE:727947198481956945:732582724170285086',
    );
  });

  it('parses our message ids and bare ids in the target channel', () => {
    expect(parseDiscordMessageId('727947198481956945:732582724170285086')).toEqual({
      channelId: '727947198481956945',
      messageId: '732582724170285086',
    });
    expect(parseDiscordMessageId('732582724170285086', '727947198481956945')).toEqual({
      channelId: '727947198481956945',
      messageId: '732582724170285086',
    });
    expect(parseDiscordMessageId('732582724170285086')).toBeNull();
    expect(parseDiscordMessageId('abc:def')).toBeNull();
  });

  it('application commands become interactive messages', () => {
    const body = JSON.parse(readFileSync(join(ROOT, 'discord4j/gateway/InteractionCreate.json'), 'utf8')).d;
    const m = msg(normalizeDiscordInteraction(body));
    expect(m).toMatchObject({
      type: 'interactive',
      interactive: { type: 'application_command', title: body.data.name },
      from: { id: '275616469906358273', username: 'Shadorc' },
      chat: { type: 'group' },
    });
    expect(m.providerMessageId).toBe(`interaction:${body.id}`);
    expect(m.text).toMatch(new RegExp(`^/${body.data.name}`));
  });
});
