import type { Approval, ConsentSecret, ConsentView } from '@openmyna/wallet';
import { useState } from 'react';

import { useItemLabel, useMessages } from './i18n.js';
import { describeError } from './errors.js';

/**
 * The consent screen: who asks (verified name, or a warning), why, the document to sign, each item
 * with whether it is kept, what is withheld, the My Number decision — then the PINs the request needs.
 */
export function Consent(props: {
  readonly view: ConsentView;
  readonly onApprove: (approval: Approval) => Promise<void>;
  readonly onDecline: () => Promise<void>;
}) {
  const t = useMessages();
  const label = useItemLabel();
  const { view } = props;
  const [secrets, setSecrets] = useState<Partial<Record<ConsentSecret, string>>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const documentText =
    view.document && view.document.mediaType.startsWith('text/')
      ? new TextDecoder().decode(view.document.bytes)
      : undefined;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (caught) {
      setError(describeError(caught, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="consent" data-testid="consent">
      <h2>{t.consentTitle}</h2>
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
      </dl>
      <h3>{t.items}</h3>
      <ul className="items" data-testid="items">
        {view.items.map((item) => (
          <li key={`${item.credentialId}:${item.name}`} className={item.release ? 'release' : 'withheld'}>
            <span className="mark">{item.release ? '✓' : '✗'}</span> {label(item.name, item.elementIdentifier)}
            <small>
              {item.release ? (item.retain ? ` — ${t.retained}` : ` — ${t.notRetained}`) : ` — ${t.withheld}`}
            </small>
          </li>
        ))}
      </ul>
      {view.myNumber.requested && (
        <p className={view.myNumber.allowed ? 'notice' : 'warning'} data-testid="my-number-notice">
          {view.myNumber.allowed ? t.myNumberAllowed : t.myNumberRefused}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void run(() => props.onApprove(secrets));
        }}
      >
        {view.secrets.map((secret) => (
          <label key={secret}>
            {t[secret]}
            <input
              type="password"
              name={secret}
              autoComplete="off"
              inputMode={secret === 'signingPassword' ? 'text' : 'numeric'}
              value={secrets[secret] ?? ''}
              onChange={(event) => setSecrets({ ...secrets, [secret]: event.target.value })}
            />
          </label>
        ))}
        {error && (
          <p className="error" role="alert" data-testid="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy} data-testid="approve">
            {t.approve}
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => void run(props.onDecline)}>
            {t.decline}
          </button>
        </div>
      </form>
    </section>
  );
}
