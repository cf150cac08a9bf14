import { describe, expect, it } from 'vitest';
import { conciseReason, fatalConnectFailure } from '../../../src/transport/amqp/connect-failure.js';

function failure(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('connect failure', () => {
  it.each([
    [
      'no client certificate where the broker requires one',
      failure(
        '80FC:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/rec_layer_s3.c:1601:SSL alert number 116\n',
        'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      ),
      /requires a client certificate .*tls\.cert and tls\.key/,
    ],
    [
      'a client certificate the broker does not trust',
      failure(
        '80FC:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../ssl/rec_layer_s3.c:1601:SSL alert number 48\n',
        'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      ),
      /refused the client certificate/,
    ],
    [
      'a broker that does not offer EXTERNAL',
      failure('SASL mechanism EXTERNAL is not provided by the server'),
      /does not offer the EXTERNAL login: enable the rabbitmq_auth_mechanism_ssl plugin/,
    ],
    [
      'an EXTERNAL login for a user that does not exist',
      failure(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL."',
      ),
      /refused the EXTERNAL login: the user named by the client certificate/,
    ],
    ['an expired server certificate', failure('certificate has expired', 'CERT_HAS_EXPIRED'), /failed the TLS handshake/],
  ])('connect failure - %s ends the connect at once, saying what to fix', (_what, error, hint) => {
    expect(fatalConnectFailure(error)).toMatch(hint);
  });

  it("connect failure - conciseReason keeps OpenSSL's reason (and alert number) without its source location", () => {
    expect(
      conciseReason(
        '80FC2CC1FD7E0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
      ),
    ).toBe('wrong version number');
    expect(
      conciseReason(
        '80FC:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/rec_layer_s3.c:1601:SSL alert number 116\n',
      ),
    ).toBe('tlsv13 alert certificate required (SSL alert number 116)');
    expect(conciseReason('connect ECONNREFUSED 127.0.0.1:5672')).toBe('connect ECONNREFUSED 127.0.0.1:5672');
  });
});
