/**
 * A throwaway PKI for the TLS tests, made with the openssl CLI in a temporary folder: a CA, a
 * server certificate for 127.0.0.1, client certificates it issued (one of them expired), and a
 * client certificate from a second CA the server does not trust.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A certificate and its private key, as PEM files. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA the server trusts for client certificates; it also issued the server's certificate. */
  ca: CertificateFiles;
  /** For 127.0.0.1 (subjectAltName IP:127.0.0.1), extendedKeyUsage serverAuth. */
  server: CertificateFiles;
  /** Issued by `ca`, extendedKeyUsage clientAuth, subject CN as named. */
  deployer: CertificateFiles;
  auditor: CertificateFiles;
  nobody: CertificateFiles;
  /** Issued by `ca` for the subject /CN=nobody/CN=deployer: which name is it? */
  twoNames: CertificateFiles;
  /** Issued by `ca` for the subject /O=AOSIQ tests, with no CN at all. */
  noName: CertificateFiles;
  /** CN=deployer, issued by `ca`, valid only in January 2020. */
  expired: CertificateFiles;
  /** The CA no server here trusts. */
  strangerCa: CertificateFiles;
  /** CN=deployer, issued by `strangerCa`: a look-alike of a trusted subject. */
  stranger: CertificateFiles;
  remove(): void;
}

const OPENSSL_CONFIG = (dir: string) => `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid

# Only for the expired certificate: "openssl x509" (3.0) cannot date a certificate in the past.
[ca]
default_ca = test_ca
[test_ca]
database = ${path.join(dir, 'index.txt')}
new_certs_dir = ${dir}
serial = ${path.join(dir, 'serial')}
default_md = sha256
policy = any_subject
unique_subject = no
email_in_dn = no
[any_subject]
commonName = supplied
`;

/**
 * Makes the certificates; call `remove()` when done.
 *
 * @example
 * const certificates = createTestCertificates();
 * https.request({ ca: fs.readFileSync(certificates.ca.certFile), cert: …, key: … });
 */
export function createTestCertificates(): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-pki-'));
  const config = path.join(dir, 'openssl.cnf');
  fs.writeFileSync(config, OPENSSL_CONFIG(dir));
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), `${randomBytes(8).toString('hex').toUpperCase()}\n`);
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENSSL_CONF: config } });

  /** A new P-256 key and a certificate request for it. */
  const request = (name: string, subject: string) => {
    openssl('req', '-new', '-config', config, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    return file(`${name}.csr`);
  };
  const selfSignedCa = (name: string, subject: string): CertificateFiles => {
    openssl('req', '-x509', '-config', config, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`), '-subj', subject, '-days', '2', '-extensions', 'ca_ext');
    return { certFile: file(`${name}.pem`), keyFile: file(`${name}.key`) };
  };
  const issue = (issuer: CertificateFiles, name: string, subject: string, extensions: 'server_ext' | 'client_ext' = 'client_ext'): CertificateFiles => {
    const csr = request(name, subject);
    openssl('x509', '-req', '-in', csr, '-CA', issuer.certFile, '-CAkey', issuer.keyFile, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-sha256', '-extfile', config, '-extensions', extensions, '-out', file(`${name}.pem`));
    return { certFile: file(`${name}.pem`), keyFile: file(`${name}.key`) };
  };
  const issueExpired = (issuer: CertificateFiles, name: string, subject: string): CertificateFiles => {
    const csr = request(name, subject);
    openssl('ca', '-batch', '-config', config, '-name', 'test_ca', '-cert', issuer.certFile, '-keyfile', issuer.keyFile, '-in', csr,
      '-startdate', '200101000000Z', '-enddate', '200131000000Z', '-extfile', config, '-extensions', 'client_ext', '-notext', '-out', file(`${name}.pem`));
    return { certFile: file(`${name}.pem`), keyFile: file(`${name}.key`) };
  };

  const ca = selfSignedCa('ca', '/CN=AOSIQ Test CA');
  const strangerCa = selfSignedCa('stranger-ca', '/CN=Somebody Else CA');
  return {
    dir,
    ca,
    server: issue(ca, 'server', '/CN=127.0.0.1', 'server_ext'),
    deployer: issue(ca, 'deployer', '/CN=deployer'),
    auditor: issue(ca, 'auditor', '/CN=auditor'),
    nobody: issue(ca, 'nobody', '/CN=nobody'),
    twoNames: issue(ca, 'two-names', '/CN=nobody/CN=deployer'),
    noName: issue(ca, 'no-name', '/O=AOSIQ tests'),
    expired: issueExpired(ca, 'expired', '/CN=deployer'),
    strangerCa,
    stranger: issue(strangerCa, 'stranger', '/CN=deployer'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
