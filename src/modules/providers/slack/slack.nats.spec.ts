import { inboundMessages } from '../../nats/subjects';
import { SLACK_NATS } from './slack.nats';

const archived = (payload: Record<string, unknown>) =>
  inboundMessages(
    { id: 'a1', token: SLACK_NATS.subjectToken, slug: 'team', payload, outcome: 'stored', skipReason: null },
    SLACK_NATS,
  );

describe('Slack NATS subjects (slack.<slug>.in.*)', () => {
  const message = { type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.000100' };

  it('a plain message: the envelope on .in.webhook, the event object on .in.message and .in.message.text', () => {
    const envelope = { type: 'event_callback', event_id: 'Ev1', event: message };
    expect(archived(envelope)).toEqual([
      { subject: 'slack.team.in.webhook', msgId: 'in:a1:webhook', data: envelope },
      { subject: 'slack.team.in.message', msgId: 'in:a1:message', data: message },
      { subject: 'slack.team.in.message.text', msgId: 'in:a1:message.text', data: message },
    ]);
  });

  it('a subtype names the typed subject; reactions go to .in.reaction; other events only .in.webhook', () => {
    const share = { ...message, subtype: 'file_share', files: [{ id: 'F1' }] };
    expect(archived({ event: share }).map((m) => m.subject)).toEqual([
      'slack.team.in.webhook',
      'slack.team.in.message',
      'slack.team.in.message.file_share',
    ]);
    const reaction = {
      type: 'reaction_added',
      user: 'U1',
      reaction: '+1',
      item: { channel: 'C1', ts: '1.0' },
    };
    expect(archived({ event: reaction })[1]).toEqual({
      subject: 'slack.team.in.reaction',
      msgId: 'in:a1:reaction',
      data: reaction,
    });
    expect(archived({ event: { type: 'channel_rename' } }).map((m) => m.subject)).toEqual([
      'slack.team.in.webhook',
    ]);
  });
});
