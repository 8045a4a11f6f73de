/**
 * Local sandbox: a fake Telegram Bot API, a fake Meta Graph API (WhatsApp Cloud, Messenger,
 * Instagram) and a webhook receiver that logs what the gateway delivers.
 *
 * Run with `npm run sandbox` (builds, then runs dist/test/fakes/sandbox.js). Environment:
 * - `SANDBOX_TELEGRAM_PORT` (default 8081): fake Telegram Bot API (`TELEGRAM_API_ROOT` for the gateway).
 * - `SANDBOX_RECEIVER_PORT` (default 8082): webhook receiver; point an instance's webhookUrl at `/hook`.
 * - `SANDBOX_BOT_TOKEN` (default `123456:SANDBOX-TOKEN`): bot token accepted by the fake.
 * - `SANDBOX_GRAPH_PORT` (default 8083): fake Graph API (`GRAPH_API_BASE_URL` and
 *   `INSTAGRAM_GRAPH_API_BASE_URL` for the gateway) with WhatsApp phone number id `106540352242922`,
 *   Page `112233445566778` and Instagram account `17841452691600098`, all with token `SANDBOX-GRAPH-TOKEN`.
 * - `SANDBOX_DISCORD_PORT` (default 8086): fake Discord REST + Gateway (`DISCORD_API_URL` = `http://127.0.0.1:8086/api`)
 *   with one bot, token {@link DISCORD_SANDBOX_TOKEN}, and the Ed25519 key of PROVIDERS.md §8 #4 for interactions.
 * - `SANDBOX_SLACK_PORT` (default 8084): fake Slack Web API + Socket Mode (`SLACK_API_URL` = `http://127.0.0.1:8084/api/`),
 *   one bot, channel, user and app token (test/fakes/fake-slack-sandbox.ts).
 */
import { FakeDiscord } from './fake-discord';
import { FakeGraphApi, type RecordedGraphCall } from './fake-graph-api';
import { FakeTelegramApi, type RecordedTelegramCall } from './fake-telegram-api';
import { startSlackSandbox } from './fake-slack-sandbox';
import { WebhookReceiver, type RecordedRequest } from './webhook-receiver';

/** Bot token the sandbox's fake Discord accepts. */
const DISCORD_SANDBOX_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDc3Nw.SaNdBx.sandbox-discord-bot-token-0000000';

const SIGNATURE_HEADER = /signature|^webhook-|^x-webhook-|timestamp/i;

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number`);
  return port;
}

/** One-line summary of an outbound Bot API call. */
function describeCall(call: RecordedTelegramCall): string {
  const p = call.params;
  const parts = [`[telegram] ${call.method}`];
  if (p.chat_id !== undefined) parts.push(`chat_id=${String(p.chat_id)}`);
  if (typeof p.text === 'string') parts.push(`text=${JSON.stringify(p.text.slice(0, 80))}`);
  if (typeof p.url === 'string') parts.push(`url=${p.url}`);
  return parts.join(' ');
}

/**
 * Logs Bot API calls, except the long-poll loop: the gateway calls getUpdates every poll timeout,
 * so only the first poll of each bot token is shown.
 */
function telegramCallLogger(): (call: RecordedTelegramCall) => void {
  const polling = new Set<string>();
  return (call) => {
    if (call.method !== 'getUpdates') return console.log(describeCall(call));
    if (polling.has(call.token)) return;
    polling.add(call.token);
    console.log('[telegram] getUpdates: the gateway is long-polling this bot (further polls are not shown)');
  };
}

/** One-line summary of a Graph call. */
function describeGraphCall(call: RecordedGraphCall): string {
  return `[graph] ${call.method} /${call.version}${call.path} ${call.body ? JSON.stringify(call.body).slice(0, 160) : ''}`;
}

/** A delivered webhook: event name, signature-related headers, then the JSON body, indented. */
function describeWebhook(req: RecordedRequest): string {
  const body = (req.json ?? {}) as Record<string, unknown>;
  const event = body.event ?? body.type ?? body.eventType ?? body.name ?? '(no event field)';
  const sigs = Object.entries(req.headers)
    .filter(([name]) => SIGNATURE_HEADER.test(name))
    .map(([name, value]) => `${name}: ${value}`);
  const payload = req.json === undefined ? req.rawBody : JSON.stringify(req.json, null, 2);
  return [
    `[webhook] ${req.method} ${req.url} event=${String(event)} (${req.rawBody.length} bytes)`,
    ...sigs,
    ...payload.split('\n'),
  ].join('\n    ');
}

async function main(): Promise<void> {
  const telegramPort = envPort('SANDBOX_TELEGRAM_PORT', 8081);
  const receiverPort = envPort('SANDBOX_RECEIVER_PORT', 8082);
  const token = process.env.SANDBOX_BOT_TOKEN || '123456:SANDBOX-TOKEN';

  const graphPort = envPort('SANDBOX_GRAPH_PORT', 8083);
  const graphToken = 'SANDBOX-GRAPH-TOKEN';
  const graph = await FakeGraphApi.start(graphPort);
  graph.addPhoneNumber('106540352242922', { token: graphToken });
  graph.addPage('112233445566778', { token: graphToken });
  graph.addInstagramAccount('17841452691600098', { token: graphToken });
  graph.onCall((call) => console.log(describeGraphCall(call)));
  const slack = await startSlackSandbox(envPort('SANDBOX_SLACK_PORT', 8084));

  const discordPort = envPort('SANDBOX_DISCORD_PORT', 8086);
  const discord = await FakeDiscord.start(discordPort);
  const discordBot = discord.addBot(DISCORD_SANDBOX_TOKEN, {
    id: '1300000000000000777',
    username: 'sandbox-discord',
  });
  discord.onRequest((r) =>
    console.log(
      `[discord] ${r.method} /api/v10${r.path} ${r.body ? JSON.stringify(r.body).slice(0, 160) : ''}`,
    ),
  );

  const telegram = await FakeTelegramApi.start({ port: telegramPort });
  const bot = telegram.addBot(token, { first_name: 'Sandbox Bot', username: 'sandbox_bot' });
  telegram.onCall(telegramCallLogger());

  const receiver = await WebhookReceiver.start(receiverPort);
  receiver.onRequest((req) => {
    console.log(describeWebhook(req));
    receiver.reset(); // keep memory flat; the sandbox only logs
  });

  console.log(
    [
      'Switchboard sandbox is running.',
      '',
      `  Fake Telegram Bot API : ${telegram.apiRoot}   (bot token ${token}, @${bot.username}, id ${bot.id})`,
      `  Webhook receiver      : ${receiver.url('/hook')}`,
      `  Fake Meta Graph API   : ${graph.baseUrl}   (token ${graphToken}; WhatsApp phone number id 106540352242922)`,
      `  Fake Discord          : ${discord.apiUrl}   (bot token ${DISCORD_SANDBOX_TOKEN}, id ${discordBot.id})`,
      '',
      'How to use:',
      '  1. Start the gateway pointed at the fakes, with loopback opened for webhook deliveries (SSRF guard):',
      `       TELEGRAM_API_ROOT=${telegram.apiRoot} GRAPH_API_BASE_URL=${graph.baseUrl} \\`,
      `       INSTAGRAM_GRAPH_API_BASE_URL=${graph.baseUrl} DISCORD_API_URL=${discord.apiUrl} \\`,
      `       WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8,::1/128 bash scripts/up.sh`,
      `       INSTAGRAM_GRAPH_API_BASE_URL=${graph.baseUrl} SLACK_API_URL=${slack.fake.apiUrl} \\`,
      '       WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8,::1/128 bash scripts/up.sh',
      `  2. Create a Telegram instance with token "${token}" and webhookUrl "${receiver.url('/hook')}"`,
      '  3. Simulate a user writing to the bot (delivered via setWebhook if registered, else queued for getUpdates):',
      `       curl -s -X POST ${telegram.apiRoot}/sandbox/inbound -H 'content-type: application/json' \\`,
      `         -d '{"text":"hello from the sandbox","chatId":424242,"firstName":"Alice"}'`,
      '  4. Watch this console: outbound Bot API calls are logged as [telegram], deliveries to the webhook',
      '     receiver as [webhook] with their signature headers and JSON body.',
      '  5. Meta: create a whatsapp-official instance',
      `     (phoneNumberId 106540352242922, accessToken ${graphToken}, appSecret s3cret, webhookVerifyToken v),`,
      '     then have the fake push a signed webhook (escaped JSON, X-Hub-Signature-256) to the gateway:',
      `       curl -s -X POST ${graph.baseUrl}/sandbox/webhook -H 'content-type: application/json' -d '{"url":` +
        `"http://127.0.0.1:3000/webhooks/whatsapp","appSecret":"s3cret","body":{"object":"whatsapp_business_account",` +
        `"entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},` +
        `"messages":[{"from":"16505551234","id":"wamid.sandbox1","timestamp":"1700000000","type":"text","text":{"body":"hi"}}]}}]}]}}'`,
      '  6. Discord: create a discord instance with config',
      `     {"botToken":"${DISCORD_SANDBOX_TOKEN}","clientId":"${discordBot.id}","intents":[1,512,4096,32768],`,
      `      "publicKey":"${FakeDiscord.publicKeyHex}"}; a worker opens the Gateway to the fake. Then:`,
      `       curl -s -X POST http://127.0.0.1:${discordPort}/sandbox/message -H 'content-type: application/json' \\`,
      `         -d '{"text":"hello from Discord","channelId":"1312345678900000002"}'`,
      `     and a signed interaction (PING) to the Interactions endpoint:`,
      `       curl -s -X POST http://127.0.0.1:${discordPort}/sandbox/interaction -H 'content-type: application/json' \\`,
      `         -d '{"url":"http://127.0.0.1:3000/webhooks/discord/<instanceId>"}'`,
      ...slack.lines,
      '',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping sandbox...`);
    Promise.all([telegram.stop(), receiver.stop(), graph.stop(), slack.fake.stop(), discord.stop()]).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('sandbox failed to start:', err);
  process.exit(1);
});
