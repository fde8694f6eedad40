import { useSyncExternalStore } from 'react';

/** The views the dashboard can show; the location hash names one, so links and reloads work on a static host. */
export type Route =
  | { view: 'approvals' }
  | { view: 'approval'; id: string }
  | { view: 'audit' }
  | { view: 'costs' }
  | { view: 'actors' }
  | { view: 'missing'; hash: string };

/**
 * The route a location hash names; an empty hash is the approvals inbox.
 *
 * @example
 * parseRoute('#/approvals/apr_1'); // { view: 'approval', id: 'apr_1' }
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [section = '', id, ...rest] = path.split('/');
  if (rest.length > 0) return { view: 'missing', hash };
  if (section === 'approvals' && id !== undefined && id !== '') return { view: 'approval', id: safeDecode(id) };
  if (id !== undefined && id !== '') return { view: 'missing', hash };
  if (section === '' || section === 'approvals') return { view: 'approvals' };
  if (section === 'audit' || section === 'costs' || section === 'actors') return { view: section };
  return { view: 'missing', hash };
}

/**
 * The hash of an approval's detail view.
 *
 * @example
 * <a href={approvalHref(approval.id)}>{approval.tool}</a>
 */
export function approvalHref(id: string): string {
  return `#/approvals/${encodeURIComponent(id)}`;
}

/** The current route, re-rendering the caller when the hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
