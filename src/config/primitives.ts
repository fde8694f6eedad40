/**
 * Small schemas shared by several sections of aosiq.yaml (kept apart so a section's file can
 * use them without importing the whole config schema).
 */
import { z } from 'zod';

/** Names of actor classes, commands, roots and servers: they appear in tool names and CLI flags. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;

export const BLAST_RADIUS_LEVELS = ['low', 'medium', 'high', 'critical'] as const;

export const nameSchema = z.string().regex(NAME_PATTERN, {
  error: 'expected a name of lowercase letters, digits, "_" or "-", starting with a letter',
});

/** The name of an environment variable that holds a secret, so the secret never sits in the file. */
export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name, e.g. AOS_ANCHOR_S3_SECRET_ACCESS_KEY' });

export const positiveInt = z.int().positive();
