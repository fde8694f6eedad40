import { useSyncExternalStore } from 'react';

/**
 * The operator's API key lives in sessionStorage only: it dies with the tab, is not shared
 * with other tabs as localStorage would be, and never appears in a URL or the history.
 */
const STORAGE_KEY = 'aosiq.apiKey';

const listeners = new Set<() => void>();
let endReason: string | null = null;

/** The stored key, or null when signed out. */
export function readApiKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

/**
 * Keeps a key the server has just accepted.
 *
 * @example
 * saveApiKey(candidate); // after GET /api/v1/me answered 200
 */
export function saveApiKey(apiKey: string): void {
  sessionStorage.setItem(STORAGE_KEY, apiKey);
  endReason = null;
  notify();
}

/**
 * Forgets the key. The reason (a 401's detail) is kept in memory so the login screen can say
 * why the operator was signed out.
 *
 * @example
 * endSession('the API key was revoked');
 */
export function endSession(reason: string | null = null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  endReason = reason;
  notify();
}

/** Why the last session ended on its own, or null after a deliberate sign-out. */
export function sessionEndReason(): string | null {
  return endReason;
}

/** The current key, re-rendering the caller when it changes. */
export function useApiKey(): string | null {
  return useSyncExternalStore(subscribe, readApiKey);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
