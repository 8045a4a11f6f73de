import { inboundMessages } from '../../nats/subjects';
import { DISCORD_NATS } from './discord.nats';

const subjects = (payload: Record<string, unknown>) =>
  inboundMessages(
    {
      id: 'a1',
      token: DISCORD_NATS.subjectToken,
      slug: 'guild',
      payload,
      outcome: 'stored',
      skipReason: null,
    },
    DISCORD_NATS,
  );

describe('Discord NATS subjects (discord.<slug>.in.*)', () => {
  const message = { id: '11', channel_id: '22', content: 'hi', author: { id: '33' }, attachments: [] };

  it('MESSAGE_CREATE: the dispatch on .in.webhook, the message object on .in.message and its kind', () => {
    const dispatch = { op: 0, t: 'MESSAGE_CREATE', s: 4, d: message };
    expect(subjects(dispatch)).toEqual([
      { subject: 'discord.guild.in.webhook', msgId: 'in:a1:webhook', data: dispatch },
      { subject: 'discord.guild.in.message', msgId: 'in:a1:message', data: message },
      { subject: 'discord.guild.in.message.text', msgId: 'in:a1:message.text', data: message },
    ]);
    const withFile = { ...message, attachments: [{ id: 'f', url: 'https://cdn/x.png' }] };
    expect(subjects({ op: 0, t: 'MESSAGE_CREATE', d: withFile })[2].subject).toBe(
      'discord.guild.in.message.attachment',
    );
  });

  it('edits, reactions and interactions get their own subjects; other dispatches only .in.webhook', () => {
    expect(subjects({ op: 0, t: 'MESSAGE_UPDATE', d: message }).map((m) => m.subject)).toEqual([
      'discord.guild.in.webhook',
      'discord.guild.in.message',
      'discord.guild.in.message.edit',
    ]);
    const reaction = { user_id: '33', channel_id: '22', message_id: '11', emoji: { name: '👍' } };
    expect(subjects({ op: 0, t: 'MESSAGE_REACTION_ADD', d: reaction })[1]).toEqual({
      subject: 'discord.guild.in.reaction',
      msgId: 'in:a1:reaction',
      data: reaction,
    });
    const interaction = { id: '44', application_id: '55', type: 2, data: { name: 'order' } };
    expect(subjects(interaction)[1]).toEqual({
      subject: 'discord.guild.in.interaction',
      msgId: 'in:a1:interaction',
      data: interaction,
    });
    expect(subjects({ op: 0, t: 'GUILD_CREATE', d: {} }).map((m) => m.subject)).toEqual([
      'discord.guild.in.webhook',
    ]);
  });
});
