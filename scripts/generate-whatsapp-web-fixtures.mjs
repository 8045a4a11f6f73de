// Generates the WhatsApp Web WAMessage fixtures offline with Baileys' own generateWAMessage
// (providers/whatsapp-web.md §5.2.3): `npx node scripts/generate-whatsapp-web-fixtures.mjs`.
// No network: media is encrypted locally and the "upload" just keeps the .enc bytes, served to
// tests from test/fixtures/whatsapp-web/media/<id>.enc. Inbound variants flip `fromMe`, add
// `pushName` and the LID key forms (remoteJidAlt / participantAlt / addressingMode).
import { generateWAMessage, proto } from 'baileys';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/whatsapp-web');
mkdirSync(join(out, 'media'), { recursive: true });
const ME = '15550001111@s.whatsapp.net';
const ALICE = '79001234567@s.whatsapp.net';
const ALICE_LID = '111222333444555@lid';
const GROUP = '120363012345678901@g.us';
const pngBytes = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
let uploads = 0;
const upload = async (encFilePath, opts) => {
  uploads += 1;
  const name = `u${uploads}-${opts.mediaType}.enc`;
  writeFileSync(join(out, 'media', name), readFileSync(encFilePath));
  return { mediaUrl: `http://127.0.0.1:1/media/${name}`, directPath: `/media/${name}` };
};
const gen = (jid, content, extra = {}) =>
  generateWAMessage(jid, content, { userJid: ME, upload, messageId: extra.id, ...extra });
const json = (m) => proto.WebMessageInfo.fromObject(m).toJSON();

/** As received: not from us, with a push name, a fixed timestamp. */
function inbound(m, key = {}) {
  const j = json(m);
  j.key = { ...j.key, fromMe: false, ...key };
  j.pushName = 'Alice';
  j.messageTimestamp = '1796350330';
  delete j.status;
  return j;
}

const fixtures = {};
const original = await gen(ALICE, { text: 'original' }, { id: '3EB0ORIGINAL0001' });
fixtures.text = inbound(await gen(ALICE, { text: 'hello' }, { id: '3EB0TEXT00000001' }));
// phones send plain text as `conversation`
fixtures.conversation = { ...fixtures.text, key: { ...fixtures.text.key, id: '3EB0CONV00000001' }, message: { conversation: 'plain' } };
fixtures.reply = inbound(await gen(ALICE, { text: 'reply' }, { id: '3EB0REPLY0000001', quoted: original }));
fixtures.location = inbound(
  await gen(ALICE, { location: { degreesLatitude: 55.7558, degreesLongitude: 37.6173, name: 'Red Square', address: 'Moscow' } }, { id: '3EB0LOC000000001' }),
);
fixtures.contact = inbound(
  await gen(
    ALICE,
    {
      contacts: {
        displayName: 'Ivan Petrov',
        contacts: [{ vcard: 'BEGIN:VCARD\nVERSION:3.0\nN:Petrov;Ivan;;;\nFN:Ivan Petrov\nTEL;type=CELL;type=VOICE;waid=79005556677:+7 900 555-66-77\nEND:VCARD' }],
      },
    },
    { id: '3EB0CONTACT00001' },
  ),
);
fixtures.contacts = inbound(
  await gen(
    ALICE,
    {
      contacts: {
        displayName: '2 contacts',
        contacts: [
          { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL;waid=15551112222:+1 555 111 2222\nEND:VCARD' },
          { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;waid=15553334444:+1 555 333 4444\nEND:VCARD' },
        ],
      },
    },
    { id: '3EB0CONTACTS0001' },
  ),
);
fixtures.reaction = inbound(await gen(ALICE, { react: { text: '👍', key: original.key } }, { id: '3EB0REACT0000001' }));
fixtures.revoke = inbound(await gen(ALICE, { delete: original.key }, { id: '3EB0REVOKE000001' }));
fixtures.edit = inbound(await gen(ALICE, { text: 'edited text', edit: original.key }, { id: '3EB0EDIT00000001' }));
fixtures.document = inbound(
  await gen(ALICE, { document: Buffer.from('%PDF-1.4 fixture\n'), mimetype: 'application/pdf', fileName: 'invoice.pdf', caption: 'the invoice' }, { id: '3EB0DOC000000001' }),
);
fixtures.image = inbound(await gen(ALICE, { image: pngBytes, caption: 'a pixel', jpegThumbnail: '' }, { id: '3EB0IMAGE0000001' }));
fixtures.video = inbound(await gen(ALICE, { video: Buffer.from('fake mp4 bytes'), caption: 'clip', seconds: 3 }, { id: '3EB0VIDEO0000001' }));
fixtures.sticker = inbound(await gen(ALICE, { sticker: Buffer.from('RIFF fake webp') }, { id: '3EB0STICKER00001' }));
fixtures.audio = inbound(await gen(ALICE, { audio: Buffer.from('fake mp3'), mimetype: 'audio/mpeg', seconds: 7 }, { id: '3EB0AUDIO0000001' }));
fixtures.voice = inbound(
  await gen(ALICE, { audio: Buffer.from('OggS fake opus'), mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 }, { id: '3EB0VOICE0000001' }),
);
// LID addressing (7.x keys): 1:1 by LID with the phone alternative, group participant by LID
fixtures.lidText = inbound(await gen(ALICE_LID, { text: 'via lid' }, { id: '3EB0LIDTEXT00001' }), {
  remoteJid: ALICE_LID,
  remoteJidAlt: ALICE,
  addressingMode: 'lid',
});
fixtures.groupText = inbound(await gen(GROUP, { text: 'hi group' }, { id: '3EB0GROUP0000001' }), {
  participant: ALICE_LID,
  participantAlt: ALICE,
  addressingMode: 'lid',
});
// wrappers normalizeMessageContent unwraps
fixtures.ephemeral = { ...fixtures.text, key: { ...fixtures.text.key, id: '3EB0EPHEMERAL001' }, message: { ephemeralMessage: { message: { extendedTextMessage: { text: 'disappearing' } } } } };
fixtures.viewOnce = { ...fixtures.image, key: { ...fixtures.image.key, id: '3EB0VIEWONCE0001' }, message: { viewOnceMessageV2: { message: fixtures.image.message } } };
fixtures.original = json(original);

writeFileSync(join(out, 'messages.json'), JSON.stringify(fixtures, null, 2) + '\n');
console.log(`wrote ${Object.keys(fixtures).length} fixtures and ${uploads} media files to ${out}`);
