import { base64UrlEncode } from '@openmyna/core';
import type { InPersonPresentation, Wallet } from '@openmyna/wallet';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

import { Consent } from '../consent-view.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Outcome } from '../components/Outcome.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import type { WalletConfig } from '../platform.js';
import { verificationOf, type ConsentVerification } from '../platform-verification.js';

type ReaderRequest = Awaited<ReturnType<InPersonPresentation['waitForRequest']>>;

/** ISO 18013-5 in person: the engagement QR, the reader's request, consent, the encrypted answer. */
export function InPerson(props: { readonly wallet: Wallet; readonly config: WalletConfig; readonly done: () => void }) {
  const t = useMessages();
  const { qr, session, view, error } = useInPersonSession(props.wallet, props.config);
  const [outcome, setOutcome] = useState<string>();
  const [verification, setVerification] = useState<ConsentVerification>();
  useEffect(() => {
    void verificationOf(props.wallet).then(setVerification);
  }, [props.wallet]);
  if (outcome) return <Outcome text={outcome} done={props.done} />;
  if (view && session && verification)
    return (
      <Consent
        view={view}
        verification={verification}
        onApprove={async (approval) => {
          await session.approve(approval.kenhojoPin ?? '');
          setOutcome(t.sent);
        }}
        onDecline={async () => {
          await session.decline();
          setOutcome(t.declined);
        }}
      />
    );
  return (
    <section>
      <h2>{t.inPersonTitle}</h2>
      <p>{t.showQr}</p>
      {qr && (
        <div
          className="qr"
          data-testid="engagement-qr"
          data-uri={session?.qr}
          role="img"
          aria-label={t.engagementQr}
          dangerouslySetInnerHTML={{ __html: qr }}
        />
      )}
      {session && (
        <label className="engagement-text">
          {t.engagementText}
          <textarea readOnly rows={3} value={session.qr} data-testid="engagement-text" />
        </label>
      )}
      <p>{t.waiting}</p>
      <ErrorMessage text={error} />
    </section>
  );
}

/** One relay session per visit of the screen: its QR code (SVG), then the reader's request. */
function useInPersonSession(wallet: Wallet, config: WalletConfig) {
  const t = useMessages();
  const [qr, setQr] = useState<string>();
  const [session, setSession] = useState<InPersonPresentation>();
  const [view, setView] = useState<ReaderRequest>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let current: InPersonPresentation | undefined;
    const id = base64UrlEncode(crypto.getRandomValues(new Uint8Array(16)));
    void (async () => {
      try {
        current = await wallet.startInPerson({ url: config.relayUrl, session: id });
        setSession(current);
        setQr(await QRCode.toString(current.qr, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 }));
        setView(await current.waitForRequest());
      } catch (caught) {
        setError(describeError(caught, t));
      }
    })();
    return () => void current?.close();
    // One session per visit of the screen.
  }, []);
  return { qr, session, view, error };
}
