import fs from 'node:fs';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { AuthConfig, MtlsConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { type Caller, mergeScopes } from './scopes.js';

/** A client certificate as the TLS handshake left it. */
export interface ClientCertificate {
  /** Whether it chains to auth.mtls.client_ca_file and is within its validity period. */
  authorized: boolean;
  /** Node's reason when not authorized, e.g. CERT_HAS_EXPIRED. */
  error: string | null;
  /** Every common name (CN) in the subject; a certificate is mapped only when there is exactly one. */
  commonNames: string[];
  /** SHA-256 fingerprint, colon-separated hex as Node prints it. */
  fingerprint: string;
}

/**
 * The certificate the client presented on this connection, or null (plain HTTP, or none sent).
 *
 * @example
 * const certificate = clientCertificateOf(request.raw.socket);
 */
export function clientCertificateOf(socket: Socket): ClientCertificate | null {
  if (!(socket instanceof TLSSocket)) return null;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return null;
  const error = socket.authorizationError;
  return {
    authorized: socket.authorized,
    error: error === null || error === undefined ? null : String(error instanceof Error ? error.message : error),
    commonNames: [peer.subject?.CN].flat().filter((name): name is string => typeof name === 'string' && name !== ''),
    fingerprint: peer.fingerprint256,
  };
}

/**
 * The caller a client certificate stands for: refused unless the TLS layer verified it against
 * the configured CA and its subject has exactly one common name; scopes from every
 * auth.mtls.subjects rule naming that common name.
 *
 * @example
 * const caller = certificateCaller(config.auth.mtls, certificate);
 */
export function certificateCaller(config: MtlsConfig, certificate: ClientCertificate): Caller {
  const detail = { certificate_sha256: certificate.fingerprint };
  if (!certificate.authorized) {
    if (certificate.error === 'CERT_HAS_EXPIRED') throw new AosError('AUTH_EXPIRED', 'the client certificate has expired', detail);
    throw new AosError('AUTH_INVALID', `the client certificate is not accepted: ${certificate.error ?? 'not verified'} (it must be issued by a CA in auth.mtls.client_ca_file)`, detail);
  }
  // Several CNs are ambiguous (which one did the CA vouch for?): refused rather than picking one.
  if (certificate.commonNames.length !== 1) {
    const reason = certificate.commonNames.length === 0 ? 'has no subject common name (CN)' : `has ${certificate.commonNames.length} subject common names (CN); it needs exactly one`;
    throw new AosError('AUTH_INVALID', `the client certificate ${reason} to map to scopes`, detail);
  }
  const commonName = certificate.commonNames[0]!;
  const matching = config.subjects.filter((rule) => rule.common_name === commonName);
  return {
    kind: 'certificate',
    credentialId: certificate.fingerprint,
    principal: `cert:${commonName}`,
    scopes: mergeScopes(matching.map((rule) => rule.scopes)),
  };
}

/**
 * Node HTTPS options for auth.tls (and auth.mtls): the server's certificate and key and, with
 * mTLS, the client CA. Client certificates are requested but not required at the TLS layer,
 * so a request without one can still use an API key and a bad one is refused with a problem
 * document and an AUTH_REJECTED row rather than a bare handshake failure.
 *
 * @example
 * const https = httpsOptions(config.auth); // undefined: plain HTTP
 */
export function httpsOptions(auth: AuthConfig): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: false } | undefined {
  if (!auth.tls) return undefined;
  const read = (field: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new AosError('CONFIG_INVALID', `${field}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { field, file });
    }
  };
  return {
    cert: read('auth.tls.cert_file', auth.tls.cert_file),
    key: read('auth.tls.key_file', auth.tls.key_file),
    ...(auth.mtls ? { ca: read('auth.mtls.client_ca_file', auth.mtls.client_ca_file) } : {}),
    requestCert: auth.mtls !== undefined,
    rejectUnauthorized: false,
  };
}
