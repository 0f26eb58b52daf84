import { WalletError, type WalletErrorCode } from './errors.js';

/**
 * Calls a server and reads its JSON answer. A server's refusal (`{ error: { code, message } }`) becomes
 * `refusedCode` with the server's code; an unreachable server or an unreadable answer `ERR_NETWORK`.
 */
export async function fetchJson<T>(
  fetcher: typeof fetch,
  url: string,
  init: RequestInit,
  refusedCode: WalletErrorCode,
  what: string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetcher(url, init);
  } catch (error) {
    throw new WalletError('ERR_NETWORK', `${what}: the server cannot be reached`, { cause: error });
  }
  let body: unknown;
  try {
    const text = await response.text();
    body = text.length === 0 ? {} : JSON.parse(text);
  } catch (error) {
    throw new WalletError('ERR_NETWORK', `${what}: the server answered something that is not JSON`, { cause: error });
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
    const serverCode = typeof error?.code === 'string' ? error.code : undefined;
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
    throw new WalletError(refusedCode, `${what}: ${message}`, serverCode ? { serverCode } : {});
  }
  return body as T;
}

/** A JSON POST. */
export function postJson(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
