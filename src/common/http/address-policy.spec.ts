import { AddressPolicy } from './address-policy';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it('allows public addresses', () => {
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111'])
      expect(policy.isAllowed(a)).toBe(true);
  });

  it('blocks private, loopback, link-local, metadata and special ranges', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
    ]) {
      expect([a, policy.isAllowed(a)]).toEqual([a, false]);
    }
  });

  it('blocks IPv4-mapped, NAT64 and 6to4 forms of blocked IPv4', () => {
    for (const a of ['::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1']) {
      expect([a, policy.isAllowed(a)]).toEqual([a, false]);
    }
  });

  it('lets an explicit allow-list through', () => {
    const dev = new AddressPolicy(['127.0.0.0/8', '::1/128']);
    expect(dev.isAllowed('127.0.0.1')).toBe(true);
    expect(dev.isAllowed('::1')).toBe(true);
    expect(dev.isAllowed('10.0.0.1')).toBe(false);
  });

  it('rejects things that are not IP addresses', () => {
    expect(policy.isAllowed('localhost')).toBe(false);
  });
});
