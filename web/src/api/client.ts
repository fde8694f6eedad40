import { endSession, readApiKey } from '../session';

/** An RFC 9457 problem document with the server's stable error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string | null;
}

/** A refusal from the API; views show its detail and code rather than a generic message. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A key to try instead of the stored one (sign-in); its 401 does not end the session. */
  apiKey?: string;
  /** Statuses besides 2xx whose body is the answer (health reports 503 with its usual body). */
  acceptStatuses?: readonly number[];
}

/**
 * Calls the API with the operator's key and returns the parsed JSON body.
 *
 * @example
 * const { approvals } = await apiRequest<{ approvals: Approval[] }>('/api/v1/approvals?status=pending');
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(path, options);
  return (await response.json()) as T;
}

/**
 * Calls the API and returns the raw response when it succeeded; throws ApiError otherwise.
 * A 401 with the stored key means the key stopped working, so the session ends.
 *
 * @example
 * const blob = await (await apiResponse(`/api/v1/audit/events/${id}/proof`)).blob();
 */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  const apiKey = options.apiKey ?? readApiKey();
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
  });
  if (response.ok || options.acceptStatuses?.includes(response.status)) return response;
  const problem = await readProblem(response);
  // Only the key still stored may end the session: a late answer to an old key must not sign out a new one.
  if (response.status === 401 && options.apiKey === undefined && apiKey !== null && apiKey === readApiKey()) {
    endSession(problem.code === null ? problem.detail : `${problem.detail} (${problem.code})`);
  }
  throw new ApiError(problem);
}

/**
 * A query string of the parameters that have a value.
 *
 * @example
 * queryString({ session_id: 'ses_1', type: '' }); // '?session_id=ses_1'
 */
export function queryString(parameters: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The problem document of a failed response, or one built from its status when the body is not one. */
async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  if (isRecord(parsed) && typeof parsed.detail === 'string') {
    return {
      type: typeof parsed.type === 'string' ? parsed.type : 'about:blank',
      title: typeof parsed.title === 'string' ? parsed.title : response.statusText,
      status: typeof parsed.status === 'number' ? parsed.status : response.status,
      detail: parsed.detail,
      code: typeof parsed.code === 'string' ? parsed.code : null,
    };
  }
  const excerpt = text.trim().slice(0, 300);
  return {
    type: 'about:blank',
    title: response.statusText,
    status: response.status,
    detail: `the server answered ${response.status} ${response.statusText} without a problem document${excerpt === '' ? '' : `: ${excerpt}`}`,
    code: null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
