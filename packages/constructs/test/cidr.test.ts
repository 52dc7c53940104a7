import { describe, expect, it } from 'vitest';
import { assertCidr } from '../src/cidr.js';

describe('assertCidr', () => {
  it.each(['0.0.0.0/0', '192.168.49.0/24', '10.0.0.1/32', '::/0', 'fd00::/8', '2001:db8::/32', '::1/128', '64:ff9b::/96'])(
    'accepts %s',
    (cidr) => {
      expect(() => assertCidr(cidr)).not.toThrow();
    },
  );

  it.each(['192.168.49.1/24', '11.0.0.0/7', 'fe80::1/10', '2001:db8::1/32'])('fails when %s has host bits set', (cidr) => {
    expect(() => assertCidr(cidr)).toThrow(/has host bits set; pass the network address/);
  });

  it.each(['192.168.49.0', '192.168.49.0/33', '::/129', 'example.com/24', '10.0.0.0/8/1', '::ffff:1.2.3.4/128', '10.0.0.0/-1', ''])(
    'fails when %s is not a CIDR',
    (cidr) => {
      expect(() => assertCidr(cidr)).toThrow(/is not a CIDR/);
    },
  );
});
