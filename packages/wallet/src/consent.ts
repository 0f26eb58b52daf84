import {
  displayNameOf,
  dcqlItemsRequest,
  evaluateItemsRequest,
  jpkiSignEntryFor,
  MNC_DOCTYPE,
  MY_NUMBER_ELEMENT,
  type AuthorizationRequest,
  type KenhojoRecordName,
  type RefusalReason,
  type RequestEvaluation,
  type ValidatedLeaf,
} from '@openmyna/mdoc';

import { WalletError } from './errors.js';
import type { TransactionLogEntry } from './transaction-log.js';

/** The secrets an approval may need, each checked by its applet. */
export type ConsentSecret =
  /** 署名用パスワード (JPKI-AP): a signature over a document or a relying party's digest. */
  | 'signingPassword'
  /** 利用者証明用暗証番号 (JPKI-AP): a login. */
  | 'authenticationPin'
  /** 券面事項入力補助用暗証番号 (入力補助AP): the 入力補助 records and the card-face mdoc. */
  | 'kenhojoPin';

/** One thing the relying party asks for, as the consent screen lists it. */
export interface ConsentItem {
  readonly credentialId: string;
  readonly format: 'mso_mdoc' | 'jpki_sign' | 'jp_kenhojo' | 'jpki_auth';
  /** A stable name: `<namespace>:<element>`, `kenhojo:my_number`, `jpki_sign`, `jpki_auth`. */
  readonly name: string;
  readonly nameSpace?: string;
  readonly elementIdentifier?: string;
  readonly record?: KenhojoRecordName;
  /** The relying party declared it keeps this item. */
  readonly retain: boolean;
  /** Whether the wallet will send it; false when this requester may not receive it. */
  readonly release: boolean;
  readonly withheldBecause?: RefusalReason;
  /** The item is, or carries, the My Number. */
  readonly myNumber: boolean;
}

/** Everything the user sees before deciding. */
export interface ConsentView {
  readonly requester: {
    /** From the requester's certificate, verified up to a trusted reader CA. */
    readonly name?: string;
    readonly verified: boolean;
    readonly clientId?: string;
    /** Set when the requester could not be verified: shown as a warning. */
    readonly warning?: string;
  };
  readonly purpose?: string;
  readonly items: readonly ConsentItem[];
  /** The document a `jpki_sign` query asks the holder to sign. */
  readonly document?: { readonly title: string; readonly mediaType: string; readonly bytes: Uint8Array };
  /**
   * Instead of a document, the digest a `jpki_sign` query asks the holder to sign as given (a
   * `jpki_sign_digest`): the relying party's SHA-256 hash, or its DigestInfo when `digestInfo`.
   */
  readonly digest?: { readonly title: string; readonly bytes: Uint8Array; readonly digestInfo: boolean };
  readonly myNumber: { readonly requested: boolean; readonly allowed: boolean };
  /** What the user must enter to approve. */
  readonly secrets: readonly ConsentSecret[];
}

/** Whether the requester's certificate authorizes the My Number (the reader authorization extension). */
export function mayReceiveMyNumber(reader: ValidatedLeaf | undefined): boolean {
  return (
    reader?.authorizedElements?.some(
      (element) =>
        element.docType === MNC_DOCTYPE &&
        element.nameSpace === MY_NUMBER_ELEMENT.nameSpace &&
        element.elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier,
    ) ?? false
  );
}

/** The consent items of an evaluated mdoc request: what may be released, then what is withheld and why. */
export function mdocConsentItems(credentialId: string, evaluation: RequestEvaluation): ConsentItem[] {
  const item = (
    element: { nameSpace: string; elementIdentifier: string; intentToRetain: boolean },
    release: boolean,
    reason?: RefusalReason,
  ): ConsentItem => ({
    credentialId,
    format: 'mso_mdoc',
    name: `${element.nameSpace}:${element.elementIdentifier}`,
    nameSpace: element.nameSpace,
    elementIdentifier: element.elementIdentifier,
    retain: element.intentToRetain,
    release,
    ...(reason ? { withheldBecause: reason } : {}),
    myNumber:
      element.nameSpace === MY_NUMBER_ELEMENT.nameSpace &&
      element.elementIdentifier === MY_NUMBER_ELEMENT.elementIdentifier,
  });
  return [
    ...evaluation.releasable.map((element) => item(element, true)),
    ...evaluation.refused.map((element) => item(element, false, element.reason)),
  ];
}

/** The mdoc elements of `items` that may be released, by namespace (what `createDeviceResponse` takes). */
export function mdocRelease(items: readonly ConsentItem[]): Map<string, Set<string>> {
  const release = new Map<string, Set<string>>();
  for (const item of items) {
    if (!item.release || item.format !== 'mso_mdoc') continue;
    const elements = release.get(item.nameSpace!) ?? new Set<string>();
    elements.add(item.elementIdentifier!);
    release.set(item.nameSpace!, elements);
  }
  return release;
}

/** The secrets needed to release `items`. */
export function secretsFor(items: readonly ConsentItem[]): ConsentSecret[] {
  const secrets = new Set<ConsentSecret>();
  for (const item of items.filter((candidate) => candidate.release)) {
    if (item.format === 'jpki_sign') secrets.add('signingPassword');
    if (item.format === 'jpki_auth') secrets.add('authenticationPin');
    if (item.format === 'jp_kenhojo' || item.format === 'mso_mdoc') secrets.add('kenhojoPin');
  }
  return [...secrets];
}

/** What the issued mdoc holds, by namespace. */
export type AvailableElements = ReadonlyMap<string, ReadonlySet<string>>;

/** The consent view of a verified OpenID4VP request, given what the phone holds. */
export function consentForRequest(options: {
  readonly request: AuthorizationRequest;
  readonly reader: ValidatedLeaf;
  readonly available: AvailableElements;
  readonly hasSigningCertificate: boolean;
}): ConsentView {
  const { request, reader } = options;
  const myNumberAllowed = mayReceiveMyNumber(reader);
  const items: ConsentItem[] = [];
  let document: ConsentView['document'];
  let digest: ConsentView['digest'];
  for (const query of request.dcql_query.credentials) {
    switch (query.format) {
      case 'mso_mdoc': {
        const evaluation = evaluateItemsRequest({
          itemsRequest: dcqlItemsRequest(query),
          reader,
          available: options.available,
          availableDocType: MNC_DOCTYPE,
        });
        items.push(...mdocConsentItems(query.id, evaluation));
        break;
      }
      case 'jpki_sign': {
        if (!options.hasSigningCertificate)
          throw new WalletError(
            'ERR_REQUEST_UNSUPPORTED',
            'this phone has no signing certificate (holders under 15 get none)',
          );
        const entry = jpkiSignEntryFor(request, query.id);
        if (entry.kind === 'document')
          document = { title: entry.title, mediaType: entry.mediaType, bytes: entry.bytes };
        else digest = { title: entry.title, bytes: entry.bytes, digestInfo: entry.digestInfo };
        items.push(cardApplicationItem(query.id, 'jpki_sign', true));
        break;
      }
      case 'jp_kenhojo':
        items.push(...kenhojoConsentItems(query.id, query.meta?.records ?? [], myNumberAllowed));
        break;
      case 'jpki_auth':
        items.push(cardApplicationItem(query.id, 'jpki_auth', false));
        break;
      default:
        return unsupportedQueryFormat(query);
    }
  }
  const name = displayNameOf(reader.certificate.subject);
  const purpose = request.client_metadata?.purpose;
  return {
    requester: { ...(name ? { name } : {}), verified: true, clientId: request.client_id },
    ...(purpose ? { purpose } : {}),
    items,
    ...(document ? { document } : {}),
    ...(digest ? { digest } : {}),
    myNumber: { requested: items.some((item) => item.myNumber), allowed: myNumberAllowed },
    secrets: secretsFor(items),
  };
}

/** The one item of a JPKI credential query: the signature itself, released once the PIN is given. */
function cardApplicationItem(credentialId: string, format: 'jpki_sign' | 'jpki_auth', retain: boolean): ConsentItem {
  return { credentialId, format, name: format, retain, release: true, myNumber: false };
}

/** One item per 入力補助 record asked for; the My Number only to a reader authorized for it. */
function kenhojoConsentItems(
  credentialId: string,
  records: readonly KenhojoRecordName[],
  myNumberAllowed: boolean,
): ConsentItem[] {
  return records.map((record) => {
    const myNumber = record === 'my_number';
    const release = !myNumber || myNumberAllowed;
    return {
      credentialId,
      format: 'jp_kenhojo',
      name: `kenhojo:${record}`,
      record,
      retain: true,
      release,
      ...(release ? {} : { withheldBecause: 'reader-not-authorized-for-my-number' as const }),
      myNumber,
    };
  });
}

/** The throwing default of the format switch: a credential format this wallet does not know. */
function unsupportedQueryFormat(query: never): never {
  const format = (query as { format?: unknown }).format;
  throw new WalletError('ERR_REQUEST_UNSUPPORTED', `this wallet cannot present the format ${JSON.stringify(format)}`);
}

/**
 * The SHA-256 hash of a {@link ConsentView} `digest` as the holder reads it: lowercase hex in groups of
 * four digits (the hash inside a DigestInfo, without its fixed prefix).
 *
 * @example
 * ```ts
 * digestHex(view.digest); // 'e3b0 c442 98fc 1c14 …'
 * ```
 */
export function digestHex(digest: NonNullable<ConsentView['digest']>): string {
  const hash = digest.bytes.subarray(digest.bytes.length - 32);
  const hex = [...hash].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{1,4}/g)!.join(' ');
}

/** The log entry of a decision on `view`: who asked, the items sent and withheld by name, never a value. */
export function consentLogEntry(
  kind: 'presentation' | 'in-person',
  view: ConsentView,
): Omit<TransactionLogEntry, 'id' | 'time' | 'result'> {
  const withheld = view.items.filter((item) => !item.release).map((item) => item.name);
  const title = view.document?.title ?? view.digest?.title;
  return {
    kind,
    counterparty: {
      ...(view.requester.name ? { name: view.requester.name } : {}),
      verified: view.requester.verified,
      ...(view.requester.clientId ? { clientId: view.requester.clientId } : {}),
    },
    items: view.items.filter((item) => item.release).map((item) => item.name),
    ...(withheld.length > 0 ? { withheld } : {}),
    ...(title ? { documentTitle: title } : {}),
    retained: view.items.some((item) => item.release && item.retain),
  };
}
