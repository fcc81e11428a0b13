// Throwaway PKI for the TLS cases. The server key is RSA and the client key is EC so that
// the cert-sig / cert-key TLVs show unambiguously which certificate HAProxy describes.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVER_NAME = 'proxy.example';
export const CLIENT_CN = 'client.example';

function openssl(dir, args) {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.error) throw new Error(`openssl could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed:\n${result.stderr}`);
  }
}

function issue(dir, { name, keyArgs, subject, extensions }) {
  openssl(dir, ['genpkey', ...keyArgs, '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/** Creates ca, server and client key pairs in `dir`; returns their paths and PEM texts. */
export function generateCertificates(dir) {
  openssl(dir, [
    'genpkey',
    '-algorithm',
    'RSA',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    'ca.key',
  ]);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=proxyproto capture CA',
    '-out',
    'ca.crt',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  issue(dir, {
    name: 'server',
    keyArgs: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    subject: `/CN=${SERVER_NAME}`,
    extensions: [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${SERVER_NAME}`,
    ],
  });
  issue(dir, {
    name: 'client',
    keyArgs: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    subject: `/CN=${CLIENT_CN}`,
    extensions: [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
    ],
  });

  const read = (file) => readFileSync(join(dir, file), 'utf8');
  // HAProxy's "crt" wants the certificate and its key in one file.
  const serverPem = join(dir, 'server.pem');
  writeFileSync(serverPem, read('server.crt') + read('server.key'));
  return {
    caFile: join(dir, 'ca.crt'),
    serverPem,
    ca: read('ca.crt'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
}
