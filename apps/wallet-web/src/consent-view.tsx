import {
  approvalFields,
  approvalOf,
  digestHex,
  errorCodeOf,
  type Approval,
  type ApprovalField,
  type ConsentView,
} from '@openmyna/wallet';
import { useState } from 'react';

import { ApprovalFieldset } from './components/ApprovalFieldset.js';
import { ErrorMessage } from './components/ErrorMessage.js';
import { useItemLabel, useMessages } from './i18n.js';
import { describeError } from './errors.js';
import type { ConsentVerification } from './platform-verification.js';

/**
 * The consent screen: who asks (verified name, or a warning), why, the document to sign, each item
 * with whether it is kept, what is withheld, the My Number decision — then the PINs the request needs.
 */
export function Consent(props: {
  readonly view: ConsentView;
  readonly onApprove: (approval: Approval) => Promise<void>;
  readonly onDecline: () => Promise<void>;
  /** How the holder verifies: the PIN settings, and the platform unlock when it is set up. */
  readonly verification: ConsentVerification;
}) {
  const t = useMessages();
  const { view } = props;
  return (
    <section className="consent" data-testid="consent">
      <h2>{t.consentTitle}</h2>
      <RequestSummary view={view} />
      <h3>{t.items}</h3>
      <ConsentItems items={view.items} />
      {view.myNumber.requested && (
        <p className={view.myNumber.allowed ? 'notice' : 'warning'} data-testid="my-number-notice">
          {view.myNumber.allowed ? t.myNumberAllowed : t.myNumberRefused}
        </p>
      )}
      <ConsentAnswer
        secrets={view.secrets}
        verification={props.verification}
        onApprove={props.onApprove}
        onDecline={props.onDecline}
      />
    </section>
  );
}

/** Who asks, why, and the document to sign (or, for a digest signature, its title and SHA-256 hash). */
function RequestSummary(props: { readonly view: ConsentView }) {
  const t = useMessages();
  const { view } = props;
  const documentText =
    view.document && view.document.mediaType.startsWith('text/')
      ? new TextDecoder().decode(view.document.bytes)
      : undefined;
  return (
    <dl>
      <dt>{t.requester}</dt>
      <dd data-testid="requester">
        {view.requester.verified ? (
          <>
            <strong>{view.requester.name}</strong> <span className="verified">✓ {t.verified}</span>
          </>
        ) : (
          <span className="warning">
            ⚠ {t.notVerified} {view.requester.warning}
          </span>
        )}
      </dd>
      {view.purpose && (
        <>
          <dt>{t.purpose}</dt>
          <dd data-testid="purpose">{view.purpose}</dd>
        </>
      )}
      {view.document && (
        <>
          <dt>{t.document}</dt>
          <dd>
            <strong data-testid="document-title">{view.document.title}</strong>
            {documentText !== undefined && <pre className="document">{documentText}</pre>}
          </dd>
        </>
      )}
      {view.digest && !view.document && (
        <>
          <dt>{t.document}</dt>
          <dd>
            <strong data-testid="document-title">{view.digest.title}</strong>
            <p>{view.digest.digestInfo ? t.digestInfo : t.digest}</p>
            <pre className="document" data-testid="digest">
              {digestHex(view.digest)}
            </pre>
          </dd>
        </>
      )}
    </dl>
  );
}

/** Each item asked for: released (kept by the requester or not) or withheld. */
function ConsentItems(props: { readonly items: ConsentView['items'] }) {
  const t = useMessages();
  const label = useItemLabel();
  return (
    <ul className="items" data-testid="items">
      {props.items.map((item) => (
        <li key={`${item.credentialId}:${item.name}`} className={item.release ? 'release' : 'withheld'}>
          <span className="mark">{item.release ? '✓' : '✗'}</span> {label(item.name, item.elementIdentifier)}
          <small>
            {item.release ? (item.retain ? ` — ${t.retained}` : ` — ${t.notRetained}`) : ` — ${t.withheld}`}
          </small>
        </li>
      ))}
    </ul>
  );
}

const PLATFORM_FALLBACK = new Set(['ERR_PLATFORM_VERIFICATION', 'ERR_PIN_WRONG', 'ERR_APPROVAL_INCOMPLETE']);

/**
 * The approval: one button for platform verification when it is set up, else (or after it failed)
 * the PIN fields — at most two: the shared 4-digit PIN and the signing password. Then send or decline.
 */
function ConsentAnswer(props: {
  readonly secrets: ConsentView['secrets'];
  readonly verification: ConsentVerification;
  readonly onApprove: (approval: Approval) => Promise<void>;
  readonly onDecline: () => Promise<void>;
}) {
  const t = useMessages();
  const [values, setValues] = useState<Partial<Record<ApprovalField, string>>>({});
  const [platformFailed, setPlatformFailed] = useState(false);
  const { run, busy, error } = useAction();
  const { unlock } = props.verification;
  const platform = unlock !== undefined && props.secrets.length > 0 && !platformFailed;
  const approveWithPlatform = async () => {
    try {
      const sealed = await unlock!();
      await props.onApprove(Object.fromEntries(props.secrets.map((secret) => [secret, sealed[secret]])));
    } catch (caught) {
      // Sealed PINs that do not open, or stale ones (changed since): the PIN fields, and why.
      if (PLATFORM_FALLBACK.has(errorCodeOf(caught) ?? '')) setPlatformFailed(true);
      throw caught;
    }
  };
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void run(() => props.onApprove(approvalOf(values)));
      }}
    >
      {platform && <PlatformApprove busy={busy} onClick={() => void run(approveWithPlatform)} />}
      {platformFailed && (
        <p className="warning" data-testid="platform-fallback">
          {t.platformFallback}
        </p>
      )}
      <ApprovalFieldset
        fields={approvalFields(props.secrets, props.verification.settings)}
        values={values}
        onChange={setValues}
      />
      <ErrorMessage text={error} testId="error" />
      <div className="actions">
        <button type="submit" className={platform ? 'secondary' : undefined} disabled={busy} data-testid="approve">
          {t.approve}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void run(props.onDecline)}>
          {t.decline}
        </button>
      </div>
    </form>
  );
}

/** 「生体認証で承認して送信」: one platform user verification answers the request. */
function PlatformApprove(props: { readonly busy: boolean; readonly onClick: () => void }) {
  const t = useMessages();
  return (
    <>
      <button type="button" disabled={props.busy} data-testid="approve-platform" onClick={props.onClick}>
        {t.approvePlatform}
      </button>
      <p>{t.orEnterPins}</p>
    </>
  );
}

/**
 * Runs one answer at a time: busy meanwhile (and for good once a locked PIN ended the request), its
 * error in the holder's words.
 */
function useAction() {
  const t = useMessages();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // A locked PIN ended the request (the wallet told the relying party): nothing more can be sent.
  const [ended, setEnded] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(describeError(caught, t));
      if (errorCodeOf(caught) === 'ERR_PIN_BLOCKED') setEnded(true);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy: busy || ended, error };
}
