import { sha256 } from '@noble/hashes/sha2.js';
import { loginStatement } from '@openmyna/card';
import { base64ToBytes, bytesToBase64, encodeDigestInfo, parseCertificate, signCms, type Signer } from '@openmyna/pki';

import { WalletError } from './errors.js';
import { verifyJpkiPin } from './pin-outcomes.js';
import type { OpenedCard } from './secure-area.js';
import type { WalletContext } from './wallet-context.js';

/** A detached CMS signature over `content` with the phone's JPKI signing key (署名用パスワード). */
export function signDocument(
  context: WalletContext,
  content: Uint8Array,
  signingPassword: string,
  title: string,
): Promise<Uint8Array> {
  return context.log.record({ kind: 'signature', items: ['jpki_sign'], documentTitle: title }, () =>
    context.secureArea.withCard(async (card) => {
      const certificate = card.bundle.jpki.signingCertificate;
      if (!certificate) throw new WalletError('ERR_REQUEST_UNSUPPORTED', 'this phone has no signing certificate');
      await card.jpki.select();
      await verifyJpkiPin(card.jpki, 'signing', signingPassword, 'signingPassword');
      return signCms({
        content,
        signer: appletSigner(card, 'signing', certificate),
        certificate: base64ToBytes(certificate),
        signingTime: context.clock(),
      });
    }),
  );
}

/**
 * Signs a relying party's login challenge with the phone's authentication key (利用者証明用暗証番号):
 * the `loginStatement` binds it to that relying party.
 */
export function signLogin(
  context: WalletContext,
  challenge: { readonly value: string; readonly clientId: string },
  authenticationPin: string,
): Promise<{ certificate: string; signature: string }> {
  const entry = {
    kind: 'login',
    counterparty: { verified: false, clientId: challenge.clientId },
    items: ['jpki_auth'],
  } as const;
  return context.log.record(entry, () =>
    context.secureArea.withCard(async (card) => {
      await card.jpki.select();
      await verifyJpkiPin(card.jpki, 'authentication', authenticationPin, 'authenticationPin');
      const signature = await card.jpki.sign(
        'authentication',
        encodeDigestInfo('SHA-256', sha256(loginStatement(challenge))),
      );
      return { certificate: card.bundle.jpki.authenticationCertificate, signature: bytesToBase64(signature) };
    }),
  );
}

/** A JPKI key behind the applet as a pki `Signer` (its PIN verified in this session). */
export function appletSigner(card: OpenedCard, secret: 'signing' | 'authentication', certificate: string): Signer {
  return {
    algorithm: 'sha256WithRSAEncryption',
    publicKeyInfo: parseCertificate(base64ToBytes(certificate)).subjectPublicKeyInfo,
    sign: (data) => card.jpki.sign(secret, encodeDigestInfo('SHA-256', sha256(data))),
  };
}
