import type { Wallet } from '@openmyna/wallet';
import { useState } from 'react';

import { PinChoice, type PhonePin } from '../components/PinChoice.js';
import { PlatformVerification } from '../components/PlatformVerification.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { PinReset } from './PinReset.js';

/** Runs a settings action and reports its outcome, or its error, as the screen's one message. */
type SettingsAction = (action: () => Promise<string>) => Promise<void>;

/** PINs (change, reset with the card), the certificates' status, suspension and revocation, reset. */
export function Settings(props: { readonly wallet: Wallet; readonly changed: () => void }) {
  const t = useMessages();
  const [message, setMessage] = useState<string>();
  const act: SettingsAction = async (action) => {
    try {
      setMessage(await action());
    } catch (caught) {
      setMessage(`${t.error}: ${describeError(caught, t)}`);
    }
  };
  return (
    <section>
      <h2>{t.settingsTitle}</h2>
      <PlatformVerification wallet={props.wallet} />
      <ChangePin wallet={props.wallet} act={act} />
      <PinReset wallet={props.wallet} report={setMessage} />
      <StatusCheck wallet={props.wallet} changed={props.changed} />
      <Lifecycle wallet={props.wallet} act={act} changed={props.changed} />
      <button
        className="danger"
        onClick={() =>
          void act(async () => {
            await props.wallet.wipe('reset');
            props.changed();
            return t.resetDone;
          })
        }
      >
        {t.reset}
      </button>
      {message && (
        <p className="notice" role="status" data-testid="settings-message">
          {message}
        </p>
      )}
    </section>
  );
}

/** The status check's last answer: the status and when it was had, or the error. */
type StatusAnswer =
  | { readonly status: Awaited<ReturnType<Wallet['checkStatus']>>; readonly checkedAt: Date }
  | { readonly error: unknown };

/**
 * Asks the issuer about the phone's certificates; the answer, and when it was had, beside the button
 * (rendered in the current language, so the English toggle applies to it too).
 */
function StatusCheck(props: { readonly wallet: Wallet; readonly changed: () => void }) {
  const t = useMessages();
  const [answer, setAnswer] = useState<StatusAnswer>();
  const [checking, setChecking] = useState(false);
  const check = async () => {
    setChecking(true);
    try {
      const status = await props.wallet.checkStatus();
      setAnswer({ status, checkedAt: new Date() });
      // A revoked phone has wiped itself (checkStatus): the app no longer holds a card.
      if (status === 'revoked') props.changed();
    } catch (caught) {
      setAnswer({ error: caught });
    } finally {
      setChecking(false);
    }
  };
  return (
    <>
      <h3>{t.status}</h3>
      <div className="actions status-check">
        <button className="secondary" onClick={() => void check()} disabled={checking} data-testid="check-status">
          {t.status}
        </button>
        {answer && 'error' in answer && (
          <p role="status" className="error" data-testid="status-result">
            {t.error}: {describeError(answer.error, t)}
          </p>
        )}
        {answer && 'status' in answer && (
          <p role="status" className="notice" data-testid="status-result">
            <strong>{t.statusOf[answer.status]}</strong> <small>{t.statusCheckedAt(answer.checkedAt)}</small>
          </p>
        )}
      </div>
    </>
  );
}

/** Changes one of the phone's PINs, knowing the current one. */
function ChangePin(props: { readonly wallet: Wallet; readonly act: SettingsAction }) {
  const t = useMessages();
  const [which, setWhich] = useState<PhonePin>('kenhojoPin');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void props.act(async () => {
          await props.wallet.changePin(which, current, next);
          return t.changed;
        });
      }}
    >
      <h3>{t.changePin}</h3>
      <PinChoice value={which} onChange={setWhich} />
      <label>
        {t.currentPin}
        <input type="password" value={current} onChange={(event) => setCurrent(event.target.value)} />
      </label>
      <label>
        {t.newPin}
        <input type="password" value={next} onChange={(event) => setNext(event.target.value)} />
      </label>
      <button type="submit">{t.change}</button>
    </form>
  );
}

/** Suspends or revokes the phone's certificates at the issuer, with the 利用者証明用暗証番号. */
function Lifecycle(props: { readonly wallet: Wallet; readonly act: SettingsAction; readonly changed: () => void }) {
  const t = useMessages();
  const [authPin, setAuthPin] = useState('');
  return (
    <>
      <p>{t.lifecycleHelp}</p>
      <label>
        {t.authenticationPin}
        <input
          type="password"
          inputMode="numeric"
          value={authPin}
          onChange={(event) => setAuthPin(event.target.value)}
          name="lifecycle-pin"
        />
      </label>
      <div className="actions">
        <button
          className="secondary"
          onClick={() =>
            void props.act(async () => {
              await props.wallet.changeLifecycle('suspend', authPin);
              return t.suspended;
            })
          }
        >
          {t.suspend}
        </button>
        <button
          className="danger"
          data-testid="revoke"
          onClick={() =>
            void props.act(async () => {
              await props.wallet.changeLifecycle('revoke', authPin);
              props.changed();
              return t.revoked;
            })
          }
        >
          {t.revoke}
        </button>
      </div>
    </>
  );
}
