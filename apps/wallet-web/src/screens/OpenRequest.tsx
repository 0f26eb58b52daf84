import type { PendingPresentation, Wallet } from '@openmyna/wallet';
import { useEffect, useState } from 'react';

import { Consent } from '../consent-view.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Outcome } from '../components/Outcome.js';
import { Scanner } from '../components/Scanner.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { verificationOf, type ConsentVerification } from '../platform-verification.js';

/**
 * Paste a link, scan a QR code (`scan`: the camera opens at once), or arrive by a same-device link:
 * then the consent screen.
 */
export function OpenRequest(props: {
  readonly wallet: Wallet;
  readonly initial?: string;
  readonly scan?: boolean;
  readonly done: () => void;
}) {
  const t = useMessages();
  const [pending, setPending] = useState<PendingPresentation>();
  const [verification, setVerification] = useState<ConsentVerification>();
  const [outcome, setOutcome] = useState<string>();
  const [error, setError] = useState<string>();
  const open = async (text: string) => {
    setError(undefined);
    try {
      const opened = await props.wallet.openRequest(text);
      setVerification(await verificationOf(props.wallet));
      setPending(opened);
    } catch (caught) {
      setError(describeError(caught, t));
    }
  };
  useEffect(() => {
    if (props.initial) void open(props.initial);
    // Opened once, for the link the page arrived with.
  }, []);
  if (outcome) return <Outcome text={outcome} done={props.done} />;
  if (pending && verification)
    return (
      <Consent
        view={pending.view}
        verification={verification}
        onApprove={async (approval) => {
          const result = await props.wallet.approve(pending, approval);
          if (result.redirectUri) window.location.assign(result.redirectUri);
          setOutcome(t.sent);
        }}
        onDecline={async () => {
          await props.wallet.decline(pending);
          setOutcome(t.declined);
        }}
      />
    );
  return (
    <RequestInput
      initial={props.initial ?? ''}
      scan={props.scan ?? false}
      open={(text) => void open(text)}
      error={error}
    />
  );
}

/** Where the request comes in: a pasted link, or the camera. */
function RequestInput(props: {
  readonly initial: string;
  readonly scan: boolean;
  readonly open: (text: string) => void;
  readonly error: string | undefined;
}) {
  const t = useMessages();
  const [link, setLink] = useState(props.initial);
  const [scanning, setScanning] = useState(props.scan);
  return (
    <section>
      <h2>{t.requestTitle}</h2>
      <p>{t.requestHelp}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.open(link);
        }}
      >
        <label>
          {t.paste}
          <textarea name="link" rows={4} value={link} onChange={(event) => setLink(event.target.value)} />
        </label>
        <button type="submit" data-testid="open-request">
          {t.open}
        </button>
      </form>
      {scanning ? (
        <Scanner
          onText={(text) => {
            setScanning(false);
            props.open(text);
          }}
          onStop={() => setScanning(false)}
        />
      ) : (
        <button className="secondary" onClick={() => setScanning(true)} data-testid="scan">
          {t.scan}
        </button>
      )}
      <ErrorMessage text={props.error} testId="error" />
    </section>
  );
}
