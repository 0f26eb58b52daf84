import { sha256 } from '@noble/hashes/sha2.js';
import {
  encodeJpkiAuthPresentation,
  encodeJpkiSignDigestPresentation,
  encodeKenhojoPresentation,
  loginStatement,
  requestBindingAttribute,
} from '@openmyna/card';
import { createDeviceResponse, sessionTranscriptForRequest } from '@openmyna/mdoc';
import { base64ToBytes, encodeDigestInfo, signCms } from '@openmyna/pki';

import { mdocRelease, type ConsentItem, type ConsentSecret } from './consent.js';
import { WalletError } from './errors.js';
import { appletSigner } from './jpki-operations.js';
import { takeMdoc } from './mdoc-supply.js';
import type { PendingPresentation } from './request-opening.js';
import { verifyJpkiPin, verifyKenhojoPin } from './pin-outcomes.js';
import type { OpenedCard } from './secure-area.js';
import type { WalletContext } from './wallet-context.js';

/** The secrets a user enters to approve, by {@link ConsentSecret}. */
export type Approval = Partial<Record<ConsentSecret, string>>;

type PresentedFormat = ConsentItem['format'];

// The 入力補助 records before the signature: the signature's request binding covers them.
const PRESENTATION_ORDER: readonly PresentedFormat[] = ['jp_kenhojo', 'jpki_sign', 'jpki_auth', 'mso_mdoc'];

/** One presentment: the opened applets, the request, the approval, and what was built so far. */
interface Presentment {
  readonly context: WalletContext;
  readonly card: OpenedCard;
  readonly pending: PendingPresentation;
  readonly approval: Approval;
  /** The `jp_kenhojo` presentation already built, which the `jpki_sign` binding covers. */
  kenhojoSent?: Uint8Array;
  kenhojoOpen: boolean;
}

/**
 * Builds the presentations of the released items, by credential id, each after its applet's PIN
 * check (a wrong PIN costs a try and builds nothing more).
 */
export async function buildPresentations(
  context: WalletContext,
  card: OpenedCard,
  pending: PendingPresentation,
  approval: Approval,
): Promise<Record<string, Uint8Array[]>> {
  const released = pending.view.items.filter((item) => item.release);
  const byCredential = new Map<string, ConsentItem[]>();
  for (const item of released)
    byCredential.set(item.credentialId, [...(byCredential.get(item.credentialId) ?? []), item]);
  const credentials = [...byCredential].sort(
    ([, a], [, b]) => PRESENTATION_ORDER.indexOf(a[0]!.format) - PRESENTATION_ORDER.indexOf(b[0]!.format),
  );
  const presentment: Presentment = { context, card, pending, approval, kenhojoOpen: false };
  const presentations: Record<string, Uint8Array[]> = {};
  for (const [id, items] of credentials) presentations[id] = [await present(presentment, items)];
  return presentations;
}

async function present(presentment: Presentment, items: readonly ConsentItem[]): Promise<Uint8Array> {
  const format = items[0]!.format;
  switch (format) {
    case 'jp_kenhojo': {
      const bytes = await presentKenhojo(presentment, items);
      presentment.kenhojoSent ??= bytes;
      return bytes;
    }
    case 'jpki_sign':
      return presentJpkiSign(presentment);
    case 'jpki_auth':
      return presentJpkiAuth(presentment);
    case 'mso_mdoc':
      return presentMdoc(presentment, items);
    default:
      return unsupportedFormat(format);
  }
}

/** The throwing default of a format switch: a format the consent view should never have offered. */
function unsupportedFormat(format: never): never {
  throw new WalletError('ERR_REQUEST_UNSUPPORTED', `this wallet cannot present the format ${JSON.stringify(format)}`);
}

async function openKenhojo(presentment: Presentment): Promise<void> {
  if (presentment.kenhojoOpen) return;
  const { card, approval } = presentment;
  await card.kenhojo.select();
  await verifyKenhojoPin(card.kenhojo, approval.kenhojoPin!);
  presentment.kenhojoOpen = true;
}

async function presentKenhojo(presentment: Presentment, items: readonly ConsentItem[]): Promise<Uint8Array> {
  await openKenhojo(presentment);
  const { kenhojo } = presentment.card;
  const records = new Set(items.map((item) => item.record));
  return encodeKenhojoPresentation({
    integrityRecord: await kenhojo.readIntegrityRecord(),
    cvCertificate: await kenhojo.readCvCertificate(),
    ...(records.has('my_number') ? { myNumberFile: await kenhojo.readMyNumberFile() } : {}),
    ...(records.has('basic_four_info') ? { basicFourInfoFile: await kenhojo.readBasicFourInfoFile() } : {}),
  });
}

async function presentJpkiSign(presentment: Presentment): Promise<Uint8Array> {
  const { card, pending, approval, context, kenhojoSent } = presentment;
  await card.jpki.select();
  await verifyJpkiPin(card.jpki, 'signing', approval.signingPassword!, 'signingPassword');
  const { digest } = pending.view;
  if (digest)
    // The card pads exactly the relying party's bytes (`80 2A 00 80`): no hash, no DigestInfo added.
    return encodeJpkiSignDigestPresentation({
      certificate: base64ToBytes(card.bundle.jpki.signingCertificate!),
      signature: await card.jpki.sign('signing', digest.bytes),
    });
  return signCms({
    content: pending.view.document!.bytes,
    signer: appletSigner(card, 'signing', card.bundle.jpki.signingCertificate!),
    certificate: base64ToBytes(card.bundle.jpki.signingCertificate!),
    signingTime: context.clock(),
    extraAttributes: [
      requestBindingAttribute({
        clientId: pending.request.client_id,
        nonce: pending.request.nonce,
        ...(kenhojoSent ? { kenhojoPresentation: kenhojoSent } : {}),
      }),
    ],
  });
}

async function presentJpkiAuth(presentment: Presentment): Promise<Uint8Array> {
  const { card, pending, approval } = presentment;
  await card.jpki.select();
  await verifyJpkiPin(card.jpki, 'authentication', approval.authenticationPin!, 'authenticationPin');
  const statement = loginStatement({ value: pending.request.nonce, clientId: pending.request.client_id });
  return encodeJpkiAuthPresentation({
    certificate: base64ToBytes(card.bundle.jpki.authenticationCertificate),
    signature: await card.jpki.sign('authentication', encodeDigestInfo('SHA-256', sha256(statement))),
  });
}

async function presentMdoc(presentment: Presentment, items: readonly ConsentItem[]): Promise<Uint8Array> {
  const { context, pending } = presentment;
  await openKenhojo(presentment);
  // Checked out (and marked used, durably) only after the PIN, before anything is sent.
  const taken = await takeMdoc(context, pending.request.client_id);
  return createDeviceResponse({
    issued: taken.issued,
    release: mdocRelease(items),
    sessionTranscript: await sessionTranscriptForRequest(pending.request, context.crypto),
    deviceKey: taken.deviceKey,
    mode: { type: 'signature' },
    crypto: context.crypto,
  });
}
