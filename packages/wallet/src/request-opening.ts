import {
  parseAuthorizationRequestUri,
  verifyRequestObject,
  type AuthorizationRequest,
  type ValidatedLeaf,
} from '@openmyna/mdoc';

import { consentForRequest, type ConsentView } from './consent.js';
import { errorCodeOf, WalletError } from './errors.js';
import { availableElements } from './holder.js';
import type { WalletContext } from './wallet-context.js';

/** An OpenID4VP request the wallet verified, waiting for the user's decision. */
export class PendingPresentation {
  #done = false;

  constructor(
    readonly view: ConsentView,
    readonly request: AuthorizationRequest,
    readonly reader: ValidatedLeaf,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  #answering = false;

  /**
   * Starts an answer (approve or decline): refused while another one is under way or once the request
   * is answered, so a double tap cannot spend two PIN tries. Returns the function that ends it.
   */
  begin(): () => void {
    if (this.#done) throw new WalletError('ERR_REQUEST_DONE', 'this request was already answered');
    if (this.#answering) throw new WalletError('ERR_REQUEST_DONE', 'this request is being answered');
    this.#answering = true;
    return () => {
      this.#answering = false;
    };
  }

  /** Marks the request answered; a second answer is refused. */
  finish(): void {
    if (this.#done) throw new WalletError('ERR_REQUEST_DONE', 'this request was already answered');
    this.#done = true;
  }
}

const refusedEntry = (reason: string | undefined) =>
  ({ kind: 'presentation', items: [], result: 'refused', reason }) as const;

/**
 * Opens an OpenID4VP request from a same-device link or a scanned QR (`openid4vp://…` or any URL
 * with `client_id` and `request_uri`): fetches the signed request object and checks it — signature,
 * the requester's certificate up to a trusted reader CA, client id, parameters, validity. A request
 * that fails is refused (`ERR_REQUEST_INVALID`, with the checks) and nothing is sent anywhere.
 */
export async function openRequest(context: WalletContext, link: string): Promise<PendingPresentation> {
  let clientId: string;
  let requestUri: string;
  try {
    ({ clientId, requestUri } = parseAuthorizationRequestUri(link.trim()));
  } catch (error) {
    await context.log.append(refusedEntry('ERR_REQUEST_INVALID'));
    throw new WalletError('ERR_REQUEST_INVALID', 'this is not an OpenID4VP request link', { cause: error });
  }
  const jwt = await fetchRequestObject(context, requestUri);
  const { checks, verified } = await verifyRequestObject({
    jwt,
    readerAnchors: context.options.readerAnchors,
    time: context.clock(),
    crypto: context.crypto,
    expectedClientId: clientId,
  });
  if (!verified) {
    const failed = checks.find((check) => check.status === 'fail');
    await context.log.append(refusedEntry('ERR_REQUEST_INVALID'));
    throw new WalletError(
      'ERR_REQUEST_INVALID',
      `the request was refused: ${failed ? `${failed.check}${failed.reason ? ` (${failed.reason})` : ''}` : 'unverified'}`,
      { checks },
    );
  }
  const view = await consentView(context, verified.request, verified.reader);
  return new PendingPresentation(view, verified.request, verified.reader);
}

/** The signed request object at `requestUri`; a failure is logged and is `ERR_REQUEST_INVALID` or `ERR_NETWORK`. */
async function fetchRequestObject(context: WalletContext, requestUri: string): Promise<string> {
  try {
    const response = await context.fetch(requestUri, { headers: { accept: 'application/oauth-authz-req+jwt' } });
    if (!response.ok)
      throw new WalletError(
        'ERR_REQUEST_INVALID',
        response.status === 410
          ? 'the request has expired or was answered'
          : `the request cannot be fetched (HTTP ${response.status})`,
      );
    return (await response.text()).trim();
  } catch (error) {
    await context.log.append({
      kind: 'presentation',
      items: [],
      result: 'failed',
      reason: errorCodeOf(error) ?? 'ERR_NETWORK',
    });
    if (error instanceof WalletError) throw error;
    throw new WalletError('ERR_NETWORK', 'the request cannot be fetched', { cause: error });
  }
}

/** What the user is asked to approve; a request the wallet cannot answer is logged and refused. */
async function consentView(
  context: WalletContext,
  request: AuthorizationRequest,
  reader: ValidatedLeaf,
): Promise<ConsentView> {
  const bundle = await context.secureArea.bundle();
  try {
    return consentForRequest({
      request,
      reader,
      available: availableElements(bundle),
      hasSigningCertificate: bundle.jpki.signingCertificate !== undefined,
    });
  } catch (error) {
    await context.log.append(refusedEntry(errorCodeOf(error)));
    if (error instanceof WalletError) throw error;
    throw new WalletError('ERR_REQUEST_INVALID', `the request was refused: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
