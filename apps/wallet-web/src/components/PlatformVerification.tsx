import {
  approvalFields,
  approvalOf,
  type ApprovalField,
  type ConsentSecret,
  type PinSettings,
  type Wallet,
} from '@openmyna/wallet';
import { useEffect, useState } from 'react';

import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { platformAuthenticatorAvailable } from '../platform.js';
import { setUpPlatformVerification } from '../platform-verification.js';
import { ApprovalFieldset } from './ApprovalFieldset.js';
import { ErrorMessage } from './ErrorMessage.js';

/** What the settings know of platform verification. */
interface PlatformState {
  readonly available: boolean;
  readonly registered: boolean;
  readonly settings: PinSettings;
  readonly secrets: readonly ConsentSecret[];
  readonly userName: string;
}

async function platformState(wallet: Wallet): Promise<PlatformState> {
  const [available, sealed, settings, holder] = await Promise.all([
    platformAuthenticatorAvailable(),
    wallet.sealedPins(),
    wallet.pinSettings(),
    wallet.holder(),
  ]);
  // Every PIN a request may need, so that one gesture answers any request.
  const secrets: ConsentSecret[] = ['authenticationPin', 'kenhojoPin'];
  if (holder.hasSigningCertificate) secrets.unshift('signingPassword');
  return { available, registered: sealed !== undefined, settings, secrets, userName: holder.name };
}

/**
 * 「生体認証・画面ロックで承認する」: set up once with the PINs (checked by the applets first), or turned
 * off. Offered only where a platform authenticator with user verification exists.
 */
export function PlatformVerification(props: { readonly wallet: Wallet }) {
  const t = useMessages();
  const [state, setState] = useState<PlatformState>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void platformState(props.wallet).then(setState);
  }, [props.wallet]);
  if (!state) return null;
  const act = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      setMessage(await action());
      setState(await platformState(props.wallet));
    } catch (caught) {
      setError(describeError(caught, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset data-testid="platform-verification">
      <legend>{t.platformTitle}</legend>
      <p>{t.platformHelp}</p>
      {state.available ? (
        <PlatformForm wallet={props.wallet} state={state} busy={busy} act={act} />
      ) : (
        <p data-testid="platform-unavailable">{t.platformUnavailable}</p>
      )}
      {message && (
        <p className="notice" role="status" data-testid="platform-message">
          {message}
        </p>
      )}
      <ErrorMessage text={error} testId="platform-error" />
    </fieldset>
  );
}

/** The PINs to seal, set up, and (when set up) turn off. */
function PlatformForm(props: {
  readonly wallet: Wallet;
  readonly state: PlatformState;
  readonly busy: boolean;
  readonly act: (action: () => Promise<string>) => Promise<void>;
}) {
  const t = useMessages();
  const { wallet, state, busy, act } = props;
  const [values, setValues] = useState<Partial<Record<ApprovalField, string>>>({});
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void act(async () => {
          await setUpPlatformVerification(wallet, approvalOf(values), state.userName);
          setValues({});
          return t.platformSetUpDone;
        });
      }}
    >
      {state.registered && <p data-testid="platform-on">{t.platformOn}</p>}
      <ApprovalFieldset fields={approvalFields(state.secrets, state.settings)} values={values} onChange={setValues} />
      <div className="actions">
        <button type="submit" disabled={busy} data-testid="platform-set-up">
          {t.platformSetUp}
        </button>
        {state.registered && (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            data-testid="platform-forget"
            onClick={() =>
              void act(async () => {
                await wallet.saveSealedPins(undefined);
                return t.platformForgotten;
              })
            }
          >
            {t.platformForget}
          </button>
        )}
      </div>
    </form>
  );
}
