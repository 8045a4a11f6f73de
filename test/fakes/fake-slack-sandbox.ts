import { FakeSlack, type RecordedSlackCall } from './fake-slack';

/** The ready-made Slack workspace of `npm run sandbox` (test/fakes/sandbox.ts). */
export const SANDBOX_SLACK = {
  botToken: 'xoxb-sandbox-0000-slackbottoken',
  appToken: 'xapp-1-A0SANDBOX-0000-slackapptoken',
  signingSecret: 'sandboxslacksigningsecret0123456',
  channel: 'C0SANDBOX1',
  user: 'U0SANDBOX1',
};

function describeSlackCall(call: RecordedSlackCall): string {
  const b = call.body;
  const parts = [`[slack] ${call.method}`];
  for (const k of ['channel', 'channel_id', 'users', 'user', 'name', 'thread_ts', 'filename']) {
    if (typeof b[k] === 'string') parts.push(`${k}=${b[k] as string}`);
  }
  if (typeof b.text === 'string') parts.push(`text=${JSON.stringify(b.text.slice(0, 80))}`);
  return parts.join(' ');
}

/**
 * Starts the fake Slack (Web API + Socket Mode) on `port` with one bot, one channel, one user
 * and one app-level token, logging every Web API call; returns the lines the sandbox prints.
 */
export async function startSlackSandbox(port: number): Promise<{ fake: FakeSlack; lines: string[] }> {
  const fake = await FakeSlack.start(port);
  const bot = fake.addBot({ token: SANDBOX_SLACK.botToken, team: 'Sandbox Workspace', user: 'sandbox-bot' });
  fake.addAppToken(SANDBOX_SLACK.appToken);
  fake.addChannel(SANDBOX_SLACK.channel);
  fake.addUser({ id: SANDBOX_SLACK.user, name: 'alice', real_name: 'Alice Sandbox' });
  fake.onCall((call) => console.log(describeSlackCall(call)));
  const s = SANDBOX_SLACK;
  const event = JSON.stringify(
    fake.envelope(
      bot,
      {
        type: 'message',
        channel: s.channel,
        channel_type: 'channel',
        user: s.user,
        text: 'hello from Slack',
        ts: '1700000000.000100',
      },
      'Ev0SANDBOX1',
    ),
  );
  return {
    fake,
    lines: [
      `  Fake Slack            : ${fake.apiUrl}   (SLACK_API_URL; bot ${s.botToken}, app token ${s.appToken},`,
      `                          signing secret ${s.signingSecret}, channel ${s.channel}, user ${s.user})`,
      '  Slack: create an instance with config',
      `     {"botToken":"${s.botToken}","signingSecret":"${s.signingSecret}","socketMode":false}`,
      `     (or "socketMode":true,"appToken":"${s.appToken}" for Socket Mode), send to "${s.channel}", and push a`,
      '     signed Events API request (v0 signature) to its Request URL:',
      `       curl -s -X POST ${fake.baseUrl}/sandbox/event -H 'content-type: application/json' -d '{"url":` +
        `"http://127.0.0.1:3000/webhooks/slack/<instanceId>","signingSecret":"${s.signingSecret}","body":${event}}'`,
    ],
  };
}
