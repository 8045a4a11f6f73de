import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emojiFromSlackName, slackEmojiName } from './slack-emoji';
import { slackSignature, verifySlackSignature } from './slack-signature';
import { normalizeSlackEnvelope, normalizeSlackEvent, parseSlackMessageId } from './slack.normalizer';

const FIXTURES = join(__dirname, '../../../../test/fixtures/slack');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const self = { userId: 'UXXXXXXXXXX', botId: 'B0SELF' };

describe('normalizeSlackEnvelope', () => {
  it('a slack-morphism message_changed capture → edit of <channel>:<message.ts>', () => {
    const body = fixture('slack-morphism/message_changed.json');
    const item = normalizeSlackEnvelope(body, { userId: 'U0OTHER', botId: 'B0SELF' });
    expect(item.providerEventId).toBe('EXXXXXXXXXXX');
    expect(item.result).toMatchObject({
      kind: 'message',
      message: {
        providerMessageId: 'CXXXXXXXXXX:1701735043.989889',
        chat: { id: 'CXXXXXXXXXX', type: 'group' },
        from: { id: 'UXXXXXXXXXX' },
        type: 'text',
        text: 'edited message',
        editedAt: new Date(1701743154000),
      },
    });
  });

  it('an edit by a bot, or by ourselves, is skipped by name', () => {
    expect(
      normalizeSlackEnvelope(fixture('slack-morphism/message_changed_by_bot.json'), self).result,
    ).toEqual({
      kind: 'skip',
      reason: 'bot_message',
    });
    expect(normalizeSlackEnvelope(fixture('slack-morphism/message_changed.json'), self).result).toEqual({
      kind: 'skip',
      reason: 'own_message',
    });
  });

  it('python-slack-events-api reaction_added → a reaction with the unicode emoji', () => {
    const body = { ...fixture('python-slack-events-api/reaction_added.json'), event_id: 'Ev1' };
    expect(normalizeSlackEnvelope(body, {}).result).toEqual({
      kind: 'message',
      message: {
        providerMessageId: 'D2AQCJCQ2:1477958101.000004:reaction:U27FFLNF4:grinning:1477958240.864741',
        chat: { id: 'D2AQCJCQ2', type: 'private' },
        from: { id: 'U27FFLNF4' },
        type: 'reaction',
        reaction: { messageId: 'D2AQCJCQ2:1477958101.000004', emoji: '😀' },
        timestamp: new Date(1477958240864),
      },
    });
  });

  it('an envelope without event_id (the 2016 capture) is a named malformed skip', () => {
    const item = normalizeSlackEnvelope(fixture('python-slack-events-api/reaction_added.json'), {});
    expect(item.result).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/^malformed_payload:.*event_id/),
    });
  });

  it('every java-slack-sdk schema sample parses (blank values) without throwing', () => {
    for (const name of [
      'AppMentionPayload.json',
      'MessageBotPayload.json',
      'MessageChangedPayload.json',
      'MessageDeletedPayload.json',
      'MessageFileSharePayload.json',
      'MessageMePayload.json',
      'MessagePayload.json',
      'MessageRepliedPayload.json',
      'MessageThreadBroadcastPayload.json',
      'ReactionAddedPayload.json',
      'ReactionRemovedPayload.json',
    ]) {
      const item = normalizeSlackEnvelope(fixture(name), self);
      // blank event_id / channel / ts: always a named skip, never a message with empty ids
      expect({ name, kind: item.result.kind }).toEqual({ name, kind: 'skip' });
      expect((item.result as { reason: string }).reason).toMatch(/^[a-z_]+(:.+)?$/);
    }
  });
});

describe('normalizeSlackEvent', () => {
  const base = { type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1700000000.000100' };

  it('thread reply → replyTo the parent; a parent (thread_ts = ts) has none', () => {
    const reply = normalizeSlackEvent({ ...base, thread_ts: '1700000000.000001' }, self);
    expect(reply).toMatchObject({ message: { replyTo: 'C1:1700000000.000001' } });
    const parent = normalizeSlackEvent({ ...base, thread_ts: base.ts }, self);
    expect(parent.kind === 'message' && parent.message.replyTo).toBeUndefined();
  });

  it('file_share → media from the first file, type by mimetype, text as caption', () => {
    const r = normalizeSlackEvent(
      {
        ...base,
        subtype: 'file_share',
        files: [{ id: 'F1', name: 'a.mp4', mimetype: 'video/mp4', size: 10, duration_ms: 1500 }],
      },
      self,
    );
    expect(r).toMatchObject({
      kind: 'message',
      message: {
        type: 'video',
        media: {
          providerMediaId: 'F1',
          mimeType: 'video/mp4',
          fileName: 'a.mp4',
          size: 10,
          duration: 1.5,
          caption: 'hi',
        },
      },
    });
  });

  it('message_deleted → type deleted on <channel>:<deleted_ts>', () => {
    const r = normalizeSlackEvent(
      {
        type: 'message',
        subtype: 'message_deleted',
        channel: 'C1',
        deleted_ts: '1.000001',
        ts: '2.000002',
        hidden: true,
      },
      self,
    );
    expect(r).toMatchObject({
      kind: 'message',
      message: { providerMessageId: 'C1:1.000001', type: 'deleted', editedAt: new Date(2000) },
    });
  });

  it('message_changed without an edit (reply counters, unfurls) is skipped', () => {
    const r = normalizeSlackEvent(
      {
        type: 'message',
        subtype: 'message_changed',
        channel: 'C1',
        message: { type: 'message', user: 'U1', text: 'same', ts: '1.000001' },
        previous_message: { type: 'message', user: 'U1', text: 'same', ts: '1.000001' },
      },
      self,
    );
    expect(r).toEqual({ kind: 'skip', reason: 'message_changed_without_edit' });
  });

  it('skips bots, ourselves, hidden and unknown subtypes, other events', () => {
    expect(normalizeSlackEvent({ ...base, bot_id: 'B9' }, self)).toEqual({
      kind: 'skip',
      reason: 'bot_message',
    });
    expect(normalizeSlackEvent({ ...base, bot_id: 'B0SELF' }, self)).toEqual({
      kind: 'skip',
      reason: 'own_message',
    });
    expect(normalizeSlackEvent({ ...base, user: self.userId }, self)).toEqual({
      kind: 'skip',
      reason: 'own_message',
    });
    expect(normalizeSlackEvent({ ...base, subtype: 'channel_topic' }, self)).toEqual({
      kind: 'skip',
      reason: 'unsupported_subtype:channel_topic',
    });
    expect(normalizeSlackEvent({ ...base, hidden: true }, self)).toEqual({
      kind: 'skip',
      reason: 'hidden:message',
    });
    expect(normalizeSlackEvent({ type: 'team_join' }, self)).toEqual({
      kind: 'skip',
      reason: 'unsupported_event:team_join',
    });
  });

  it('reaction_removed → reaction with emoji "" (removal); custom emoji stay :name:', () => {
    const item = { type: 'message', channel: 'C1', ts: '1.000001' };
    expect(
      normalizeSlackEvent(
        { type: 'reaction_removed', user: 'U1', reaction: 'tada', item, event_ts: '2.0' },
        self,
      ),
    ).toMatchObject({
      message: { reaction: { messageId: 'C1:1.000001', emoji: '' } },
    });
    expect(
      normalizeSlackEvent(
        { type: 'reaction_added', user: 'U1', reaction: 'partyparrot', item, event_ts: '2.0' },
        self,
      ),
    ).toMatchObject({
      message: { reaction: { emoji: ':partyparrot:' } },
    });
  });
});

describe('Slack ids, emoji, signature', () => {
  it('parses <channel>:<ts> and a bare ts in a channel', () => {
    expect(parseSlackMessageId('C0123ABC:1700000000.000100')).toEqual({
      channel: 'C0123ABC',
      ts: '1700000000.000100',
    });
    expect(parseSlackMessageId('1700000000.000100', 'D0X1')).toEqual({
      channel: 'D0X1',
      ts: '1700000000.000100',
    });
    expect(parseSlackMessageId('1700000000.000100')).toBeNull();
    expect(parseSlackMessageId('hello')).toBeNull();
  });

  it('maps emoji both ways with Slack’s names', () => {
    expect(slackEmojiName('👍')).toBe('+1');
    expect(slackEmojiName('👍🏿')).toBe('+1::skin-tone-6');
    expect(slackEmojiName('❤️')).toBe('heart');
    expect(slackEmojiName('❤')).toBe('heart');
    expect(slackEmojiName(':thumbsup:')).toBe('thumbsup');
    expect(slackEmojiName('hello world')).toBeNull();
    expect(emojiFromSlackName('thumbsup')).toBe('👍');
    expect(emojiFromSlackName('+1::skin-tone-2')).toBe('👍🏻');
    expect(emojiFromSlackName('white_check_mark')).toBe('✅');
  });

  it('signs and verifies v0 over the exact bytes, within 5 minutes', () => {
    const raw = Buffer.from('{"a":"b\\/c"}');
    const sig = slackSignature('secret', '1700000000', raw);
    expect(verifySlackSignature('secret', raw, sig, '1700000000', 1700000000_000)).toEqual({ ok: true });
    expect(verifySlackSignature('secret', raw, sig, '1700000000', 1700000300_000)).toEqual({ ok: true });
    expect(verifySlackSignature('secret', raw, sig, '1700000000', 1700000301_000).ok).toBe(false);
    expect(
      verifySlackSignature('secret', Buffer.from('{"a":"b/c"}'), sig, '1700000000', 1700000000_000).ok,
    ).toBe(false);
    expect(verifySlackSignature('secret', raw, undefined, '1700000000', 1700000000_000).ok).toBe(false);
    expect(verifySlackSignature('secret', raw, sig, 'soon', 1700000000_000).ok).toBe(false);
  });
});
