/** How the RP demo reaches the verifier service: its URL and this relying party's API key. */
export interface VerifierAccess {
  readonly url: string;
  readonly apiKey: string;
}

/** A verifier result as a relying party reads it (presentations and in-person sessions alike). */
export interface VerifierView {
  readonly status: 'pending' | 'processing' | 'completed' | 'failed';
  readonly result?: {
    readonly status: string;
    readonly decidedBy?: { readonly check: string };
    readonly records: readonly Record<string, unknown>[];
  };
  readonly claims?: Record<string, Record<string, unknown>>;
  /** While pending: the last answer the verifier did not accept (a hint; the request stays open). */
  readonly lastRejection?: { readonly check: string };
}

/** The verifier's answer to a request it refused: its HTTP status and error code. */
export class VerifierRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`the verifier refused the request: HTTP ${status} ${code}`);
    this.name = 'VerifierRefusal';
  }
}

/** The verifier service's API as the RP demo's backend uses it (never from the browser). */
export function verifierClient(access: VerifierAccess, fetcher: typeof fetch = fetch) {
  const call = async <T>(path: string, expected: number, body?: unknown): Promise<T> => {
    const response = await fetcher(`${access.url}${path}`, {
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
      headers: { authorization: `Bearer ${access.apiKey}`, 'content-type': 'application/json' },
    });
    if (response.status !== expected) {
      const error = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
      throw new VerifierRefusal(response.status, error.error?.code ?? 'ERR_UNKNOWN');
    }
    return (await response.json()) as T;
  };
  return {
    /** `POST /v1/presentations`: an OpenID4VP request. */
    createPresentation: (body: Record<string, unknown>) =>
      call<{ id: string; link: string; qrSvg: string }>('/v1/presentations', 201, body),
    presentation: (id: string) => call<VerifierView>(`/v1/presentations/${encodeURIComponent(id)}`, 200),
    /** `POST /v1/proximity-sessions`: an ISO 18013-5 session at the counter. */
    startProximity: (body: Record<string, unknown>) => call<{ id: string }>('/v1/proximity-sessions', 201, body),
    proximity: (id: string) => call<VerifierView>(`/v1/proximity-sessions/${encodeURIComponent(id)}`, 200),
  };
}

export type VerifierClient = ReturnType<typeof verifierClient>;

/**
 * Whether a verifier view is final (the phone answered, or the time ran out). A view the verifier could
 * not give just now (`undefined`: rate limited, unavailable) is not: the page asks again.
 */
export const isFinal = (view: VerifierView | undefined): view is VerifierView =>
  view?.status === 'completed' || view?.status === 'failed';

/** A poll of the verifier: its refusal (429, 503, …) reads as "not yet", anything else fails as it is. */
export async function poll(view: Promise<VerifierView>): Promise<VerifierView | undefined> {
  try {
    return await view;
  } catch (error) {
    if (error instanceof VerifierRefusal) return undefined;
    throw error;
  }
}
