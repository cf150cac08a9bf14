import { describe, expect, it } from 'vitest';
import { authMechanismOf, loginUserOf, splitCredentials } from '../../../src/transport/amqp/url-credentials.js';

// A self-signed test certificate (CN=fixture-user) and its key: throwaway, valid until 2126.
const CERT = `-----BEGIN CERTIFICATE-----
MIIBuTCCAV+gAwIBAgIUMsMd9Z31dT6kcV8uLBopgf7vYHQwCgYIKoZIzj0EAwIw
MTEYMBYGA1UECgwPcngtcHVic3ViIHRlc3RzMRUwEwYDVQQDDAxmaXh0dXJlLXVz
ZXIwIBcNMjYxMjA0MjEzNjMzWhgPMjEyNjExMTAyMTM2MzNaMDExGDAWBgNVBAoM
D3J4LXB1YnN1YiB0ZXN0czEVMBMGA1UEAwwMZml4dHVyZS11c2VyMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEBAL/qgJla4yIm32FdkJxkKsAPwFaSGIU5B7Oh1X4
UQggMl949uA2SO7LX4GWozRVTLdHU8sqLQUU22b6Vo7MQaNTMFEwHQYDVR0OBBYE
FAo1JPpDjlkSJ/Hi99YPd7TKDl/pMB8GA1UdIwQYMBaAFAo1JPpDjlkSJ/Hi99YP
d7TKDl/pMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgOzKkvwij
F62enuLK/s9C2+xXbiy+SxCN02aVih/DOlsCIQDsnhH17hzyKvnFhjlTAjfG447D
X4cCM89w2cAzNR2hUQ==
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqxjJKC3+/WDqGQeU
n/5tkj/GOmt78mXk62laKA0N6SqhRANCAAQEAv+qAmVrjIibfYV2QnGQqwA/AVpI
YhTkHs6HVfhRCCAyX3j24DZI7stfgZajNFVMt0dTyyotBRTbZvpWjsxB
-----END PRIVATE KEY-----`;

describe('url credentials', () => {
  it('url credentials - ?auth_mechanism=external logs in with EXTERNAL and sends no password', () => {
    const { url, credentials } = splitCredentials('amqps://someone:secret@broker:5671/?auth_mechanism=EXTERNAL');
    expect(credentials?.mechanism).toBe('EXTERNAL');
    expect(credentials?.response()).toEqual(Buffer.alloc(0));
    expect(url).not.toContain('secret');
  });

  it('url credentials - without the parameter, or with auth_mechanism=plain, the login is PLAIN with the URL user', () => {
    for (const given of ['amqp://u:p@broker', 'amqp://u:p@broker?auth_mechanism=plain']) {
      const { credentials } = splitCredentials(given);
      expect(credentials?.mechanism).toBe('PLAIN');
      expect(credentials?.response().toString('utf8')).toBe('\u0000u\u0000p');
    }
    expect(authMechanismOf('amqp://broker')).toBe('plain');
    expect(authMechanismOf('amqp://broker?auth_mechanism=Amqplain')).toBe('amqplain');
  });

  it("url credentials - over EXTERNAL the login user is the client certificate's CN, or the URL's user when it names one", () => {
    const url = 'amqps://broker:5671?auth_mechanism=external';
    expect(loginUserOf(url, { cert: CERT, key: KEY })).toBe('fixture-user');
    expect(loginUserOf(url, { cert: Buffer.from(CERT), key: Buffer.from(KEY) })).toBe('fixture-user');
    expect(loginUserOf('amqps://CN%3Dfixture-user@broker?auth_mechanism=external', { cert: CERT, key: KEY })).toBe('CN=fixture-user');
    // No certificate, or one that cannot be read: not known (no user-id is stamped then, rather than a wrong one).
    expect(loginUserOf(url, undefined)).toBeUndefined();
    expect(loginUserOf(url, { cert: 'not a certificate', key: KEY })).toBeUndefined();
    // PLAIN is unchanged: the URL's user, guest when it names none.
    expect(loginUserOf('amqps://broker:5671', { cert: CERT, key: KEY })).toBe('guest');
    expect(loginUserOf('amqps://alice:pw@broker:5671', { cert: CERT, key: KEY })).toBe('alice');
  });
});
