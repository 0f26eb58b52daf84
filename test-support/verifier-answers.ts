import {
  createAuthorizationResponse,
  jpkiSignDocumentFor,
  parseAuthorizationRequestUri,
  verifyRequestObject,
  type AuthorizationRequest,
  type KenhojoRecordName,
} from '@openmyna/mdoc';
import { nodeMdocCrypto } from '@openmyna/mdoc/node';
import { base64ToBytes, signCms } from '@openmyna/pki';
import { encodeKenhojoPresentation, requestBindingAttribute } from '@openmyna/verifier';

import type { issuerWithPhones } from './verifier-fixtures.js';

type Issuer = Awaited<ReturnType<typeof issuerWithPhones>>;

/** The wallet fetches the request object behind a link and checks it as a wallet must. */
export async function walletReadsRequest(issuer: Issuer, link: string, time: Date): Promise<AuthorizationRequest> {
  const { clientId, requestUri } = parseAuthorizationRequestUri(link);
  const { checks, verified } = await verifyRequestObject({
    jwt: await (await fetch(requestUri)).text(),
    readerAnchors: [issuer.authorities.mdoc.readerCa.anchor],
    time,
    crypto: nodeMdocCrypto,
    expectedClientId: clientId,
  });
  if (!verified) throw new Error(`the request object did not verify: ${JSON.stringify(checks)}`);
  return verified.request;
}

/**
 * A genuine answer to a `jpki_sign` (+ `jp_kenhojo`) request, as the wallet makes it: phone `signWith`
 * signs the request's document with the request binding over the records of phone `recordsOf` (the
 * `records` named), and the form to post to the request's `response_uri` (`direct_post`).
 */
export async function signAndReadAnswer(
  issuer: Issuer,
  request: AuthorizationRequest,
  options: { signWith: number; recordsOf?: number; records?: readonly KenhojoRecordName[]; signingTime: Date },
): Promise<Record<string, string>> {
  const signer = issuer.phones[options.signWith]!;
  const records = issuer.phones[options.recordsOf ?? options.signWith]!.bundle.kenhojo;
  const names = options.records ?? [];
  const kenhojo =
    names.length > 0
      ? encodeKenhojoPresentation({
          integrityRecord: base64ToBytes(records.integrityRecord),
          cvCertificate: base64ToBytes(records.cvCertificate),
          ...(names.includes('my_number') ? { myNumberFile: base64ToBytes(records.myNumberFile) } : {}),
          ...(names.includes('basic_four_info') ? { basicFourInfoFile: base64ToBytes(records.basicFourInfoFile) } : {}),
        })
      : undefined;
  const signature = await signCms({
    content: jpkiSignDocumentFor(request, 'sign').bytes,
    signer: signer.keys.signing,
    certificate: base64ToBytes(signer.bundle.jpki.signingCertificate!),
    signingTime: options.signingTime,
    extraAttributes: [
      requestBindingAttribute({
        clientId: request.client_id,
        nonce: request.nonce,
        ...(kenhojo ? { kenhojoPresentation: kenhojo } : {}),
      }),
    ],
  });
  return createAuthorizationResponse({
    request,
    presentations: { sign: [signature], ...(kenhojo ? { kenhojo: [kenhojo] } : {}) },
  });
}

/** Posts a form to a presentation's response endpoint, as a wallet (or anyone) can. */
export function postAnswer(base: string, id: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${base}/v1/presentations/${id}/response`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}
