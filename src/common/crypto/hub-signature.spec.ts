import { hubSignature, verifyHubSignature } from './hub-signature';

/** PROVIDERS.md §8 vectors 2 and 3. */
describe('Meta X-Hub-Signature-256', () => {
  it('verifies the real Meta-signed WhatsApp webhook (vector 2)', () => {
    const secret = '1222e786b144d0e85b9f365372d93676';
    const body =
      '{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550953877","phone_number_id":"277321005464405"},"contacts":[{"profile":{"name":"PyWa Tests"},"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":{"body":"Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}';
    const header = 'sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441';
    expect(hubSignature(secret, Buffer.from(body))).toBe(header);
    expect(verifyHubSignature([secret], Buffer.from(body), header)).toBe(true);
    expect(verifyHubSignature(['other', secret], Buffer.from(body), header)).toBe(true);
    expect(verifyHubSignature([secret], Buffer.from(body.replace('Hey', 'Hi')), header)).toBe(false);
  });

  it('hashes the \\u-escaped bytes Meta sends, not re-encoded UTF-8 (vector 3)', () => {
    const secret = 'YOUR_APP_SECRET';
    const escaped =
      "Let's pretend this body is equal to the message object and can handle unicode characters like " +
      "\\u307f\\u3069\\u308a\\u3044\\u308d and J'ai mang\\u00e9 des p\\u00e2tes";
    const header = 'sha256=0363007aabdf1ab579f35936651a460fb5fa1aaf40df98b1264446b72cc96688';
    expect(verifyHubSignature([secret], Buffer.from(escaped), header)).toBe(true);
    const utf8 =
      "Let's pretend this body is equal to the message object and can handle unicode characters like " +
      "みどりいろ and J'ai mangé des pâtes";
    expect(hubSignature(secret, Buffer.from(utf8))).toMatch(/^sha256=5ab50fef/);
    expect(verifyHubSignature([secret], Buffer.from(utf8), header)).toBe(false);
  });

  it('refuses a missing or malformed header', () => {
    expect(verifyHubSignature(['s'], 'x', undefined)).toBe(false);
    expect(verifyHubSignature(['s'], 'x', 'sha1=abc')).toBe(false);
    expect(verifyHubSignature([''], 'x', hubSignature('', 'x'))).toBe(false);
  });
});
