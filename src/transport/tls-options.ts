/** TLS material for `amqps://` URLs, passed to Node's `tls.connect`; checked at `connect`. */
export interface TlsOptions {
  /** The CA certificates to trust (PEM), instead of Node's bundled ones. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The client certificate (PEM), for mutual TLS. */
  readonly cert?: string | Buffer;
  /** The client certificate's private key (PEM). */
  readonly key?: string | Buffer;
  /** The client key and certificate as one PKCS#12 file. */
  readonly pfx?: string | Buffer;
  /** The password of an encrypted `key` or `pfx`. */
  readonly passphrase?: string;
  /** The host name the server certificate must name. @default the URL's host */
  readonly servername?: string;
  /** Refuse a server whose certificate does not verify against `ca`; `false` only for a test broker. @default true */
  readonly rejectUnauthorized?: boolean;
  /** e.g. `'TLSv1.2'`. @default Node's */
  readonly minVersion?: 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1';
}
