#!/usr/bin/env bash
# Test certificates for the local RabbitMQ cluster's TLS listeners (scripts/rabbitmq-cluster.sh):
#
#   scripts/tls-certs.sh DIR
#
# writes into DIR (created; kept when every file is there and the CA still has a year to live; prints
# "generated" when it wrote new ones):
#   ca.pem / ca.key            a test CA
#   server.pem / server.key    CN=localhost, subjectAltName DNS:localhost only (127.0.0.1 is a "wrong host")
#   client.pem / client.key    CN=rx-pubsub-client, for mutual TLS and the EXTERNAL login (user rx-pubsub-client)
#   client.p12                 the same key and certificate as PKCS#12, passphrase rx-pubsub
#   expired.pem / expired.key  CN=localhost signed by the CA, expired the day it was made
#   other-ca.pem / other-ca.key  a second CA that signed none of the above ("the wrong CA")
# EC P-256 keys: generated in milliseconds, accepted by Node and Erlang alike.
set -euo pipefail

DIR=${1:?usage: tls-certs.sh DIR}
CLIENT_CN=rx-pubsub-client
mkdir -p "$DIR"
cd "$DIR"

FILES=(ca.pem ca.key server.pem server.key client.pem client.key client.p12 expired.pem expired.key other-ca.pem other-ca.key)
complete=1
for f in "${FILES[@]}"; do [[ -s $f ]] || complete=0; done
if ((complete)) && openssl x509 -in ca.pem -noout -checkend $((365 * 24 * 3600)) >/dev/null; then
  exit 0
fi

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # ca NAME CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "/O=rx-pubsub tests/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

leaf() { # leaf NAME CN DAYS EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/O=rx-pubsub tests/CN=$2" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  # -days -1: valid from now until yesterday, i.e. expired (OpenSSL 3.0 has no -not_after).
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$3" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

SERVER_EXT=$'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost'
CLIENT_EXT=$'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'

ca ca "rx-pubsub test CA"
ca other-ca "rx-pubsub other CA"
leaf server localhost 3650 "$SERVER_EXT"
leaf client "$CLIENT_CN" 3650 "$CLIENT_EXT"
leaf expired localhost -1 "$SERVER_EXT"
openssl pkcs12 -export -in client.pem -inkey client.key -out client.p12 -passout pass:rx-pubsub
rm -f ca.srl
# Throwaway test keys, readable by the broker (the rabbitmq user) and the tests alike.
chmod 0644 ./*.pem ./*.key ./*.p12
echo generated
