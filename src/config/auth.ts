import { z } from 'zod';
import { scopesSchema } from '../server/auth/scopes.js';

/** JWS algorithms an OIDC issuer may sign with; "none" and HMAC are never accepted. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/**
 * Grants scopes to a caller whose credential matches: an OIDC claim (a string equal to
 * `equals`, or an array holding it), or a client certificate's subject.
 */
const claimRuleSchema = z.strictObject({
  claim: z.string().min(1),
  equals: z.string().min(1),
  scopes: scopesSchema,
});

const oidcSchema = z.strictObject({
  /** The issuer URL, exactly as the tokens' `iss` claim; its discovery document names the JWKS. */
  issuer: z.url(),
  /** The `aud` a token must carry (one of these). */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  algorithms: z.array(z.enum(OIDC_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
  /** Where the signing keys are; read from the issuer's discovery document when absent. */
  jwks_uri: z.url().optional(),
  /** The claim that names the caller in the audit log, as `oidc:<value>`. */
  principal_claim: z.string().min(1).default('sub'),
  clock_tolerance_seconds: z.number().int().min(0).max(300).default(30),
  timeout_ms: z.number().int().positive().default(5000),
  /** Every matching rule adds its scopes; a token matching none may do nothing. */
  rules: z.array(claimRuleSchema).default([]),
  /**
   * Sign-in to the dashboard at the issuer (authorization code with PKCE, in the browser): a
   * public client registered there with this server's `/` as its redirect URI.
   */
  dashboard: z
    .strictObject({
      client_id: z.string().min(1),
      scope: z.string().min(1).default('openid'),
      /** A resource indicator (RFC 8707) to ask for, where the issuer mints API tokens per resource. */
      resource: z.url().optional(),
    })
    .optional(),
});

const subjectRuleSchema = z.strictObject({
  /** The certificate subject's common name (CN) to match exactly. */
  common_name: z.string().min(1),
  scopes: scopesSchema,
});

const mtlsSchema = z.strictObject({
  /** PEM bundle of the CA(s) that issue client certificates. */
  client_ca_file: z.string().min(1),
  /** Every matching rule adds its scopes; a certificate matching none may do nothing. */
  subjects: z.array(subjectRuleSchema).default([]),
});

const tlsSchema = z.strictObject({
  /** PEM certificate chain and key of the server; with them the API is served over HTTPS. */
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
});

/**
 * Caller authentication beyond API keys (which live in the database): OIDC bearer tokens and,
 * over TLS, client certificates.
 *
 * @example
 * authConfigSchema.parse({}).oidc; // undefined
 */
export const authConfigSchema = z
  .strictObject({
    oidc: oidcSchema.optional(),
    tls: tlsSchema.optional(),
    mtls: mtlsSchema.optional(),
  })
  .superRefine((auth, context) => {
    if (auth.mtls && !auth.tls) {
      context.addIssue({ code: 'custom', path: ['mtls'], message: 'client certificates are only presented over HTTPS: set auth.tls (cert_file, key_file) too' });
    }
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type OidcConfig = z.infer<typeof oidcSchema>;
export type MtlsConfig = z.infer<typeof mtlsSchema>;
