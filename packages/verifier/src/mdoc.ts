import { fail, pass, summarize, type CheckResult, type VerificationSummary } from '@openmyna/pki';
import {
  MY_NUMBER_ELEMENT,
  verifyDeviceResponse,
  type AuthorizedElement,
  type VerifiedDocument,
  type VerifyDeviceResponseOptions,
} from '@openmyna/mdoc';

import { verificationRecord, type VerificationRecord } from './record.js';

/** What a relying party is registered to receive. */
export interface RelyingPartyAuthorization {
  readonly id: string;
  /** Registered for 番号利用事務 or 個人番号関係事務: only then may it receive a My Number. */
  readonly myNumber: boolean;
  /** The mdoc elements it may receive (its registry entry, or its reader certificate's extension). */
  readonly elements: readonly AuthorizedElement[];
}

/** The result of {@link verifyMdocPresentation}. */
export interface MdocPresentationVerification extends VerificationSummary {
  /** Empty unless the result is `valid` or `status-unknown`. */
  readonly documents: readonly VerifiedDocument[];
  readonly record: VerificationRecord;
}

const isMyNumber = (element: Pick<AuthorizedElement, 'nameSpace' | 'elementIdentifier'>) =>
  element.nameSpace === MY_NUMBER_ELEMENT.nameSpace &&
  element.elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier;

/**
 * Verifies an mdoc presentation for one relying party: the mdoc package's 17 ordered checks (the
 * response against what was requested), then `rp.authorization` — every disclosed element against
 * what this RP is registered to receive (a My Number only for an RP registered for 番号利用事務 or
 * 個人番号関係事務). A response carrying anything beyond that is invalid and returns no documents, so a
 * value the RP may not receive never reaches its code.
 */
export async function verifyMdocPresentation(
  options: Omit<VerifyDeviceResponseOptions, 'authorizedElements'> & { readonly rp: RelyingPartyAuthorization },
): Promise<MdocPresentationVerification> {
  const allowed = options.rp.elements.filter((element) => options.rp.myNumber || !isMyNumber(element));
  const { rp: _rp, ...rest } = options;
  const result = await verifyDeviceResponse(rest);
  const checks: CheckResult[] = [...result.summary.checks];
  const disclosed: string[] = [];
  for (const document of result.documents)
    for (const [nameSpace, elements] of document.elements)
      for (const elementIdentifier of elements.keys()) disclosed.push(`${nameSpace}/${elementIdentifier}`);
  if (result.summary.status !== 'invalid') {
    const beyond = result.documents.flatMap((document) =>
      [...document.elements].flatMap(([nameSpace, elements]) =>
        [...elements.keys()]
          .filter(
            (elementIdentifier) =>
              !allowed.some(
                (element) =>
                  element.docType === document.docType &&
                  element.nameSpace === nameSpace &&
                  element.elementIdentifier === elementIdentifier,
              ),
          )
          .map((elementIdentifier) => `${nameSpace}/${elementIdentifier}`),
      ),
    );
    checks.push(
      beyond.length === 0
        ? pass('rp.authorization')
        : fail('rp.authorization', `this relying party may not receive ${beyond.join(', ')}`),
    );
  }
  const summary = summarize(checks);
  return {
    ...summary,
    documents: summary.status === 'invalid' ? [] : result.documents,
    record: verificationRecord(summary, { method: 'mdoc', at: options.time, disclosed }),
  };
}
