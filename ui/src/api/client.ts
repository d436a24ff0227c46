/**
 * The one way the UI talks to CTICloud: the public API, with the API key the user signed in with. Errors
 * carry the API's own message (which names the field), so forms can show exactly what to fix.
 */
const KEY_STORAGE = 'cticloud.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  signIn: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  signOut: () => sessionStorage.removeItem(KEY_STORAGE),
};

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function request(method: Method, path: string, body?: unknown, key = session.key()): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (!response.ok) {
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const message =
      (parsed as { message?: string } | null)?.message ??
      (text || `${response.status} ${response.statusText}`);
    if (response.status === 401 && key === session.key())
      window.dispatchEvent(new Event('cticloud:signed-out'));
    throw new ApiError(response.status, message, parsed);
  }
  return response;
}

/** The answer as text (a CSV or text export), with the same key and errors as `api`. */
export async function apiText(method: Method, path: string): Promise<string> {
  return (await request(method, path)).text();
}

/** JSON in, JSON out; 204 gives undefined. */
export async function api<T>(method: Method, path: string, body?: unknown, key?: string): Promise<T> {
  const response = await request(method, path, body, key);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Binary answers (audio): an object URL the caller revokes when done. */
export async function apiBlobUrl(method: Method, path: string, body?: unknown): Promise<string> {
  const response = await request(method, path, body);
  return URL.createObjectURL(await response.blob());
}

export const errorMessage = (err: unknown): string =>
  err instanceof ApiError
    ? `${err.message} (HTTP ${err.status})`
    : err instanceof Error
      ? err.message
      : String(err);
