import type { ProvisioningStep, Wallet } from '@openmyna/wallet';
import { PROVISIONING_STEPS } from '@openmyna/wallet';
import { useState } from 'react';

import { DemoCardSelect, useDemoCards } from '../components/DemoCardSelect.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { SecretField } from '../components/SecretField.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { connectDemoCard } from '../platform.js';

type ProvisioningPins = Record<
  'cardAuth' | 'cardSigning' | 'auth' | 'signing' | 'kenhojo' | 'juki' | 'shared' | 'securityCode',
  string
>;

const NO_PINS: ProvisioningPins = {
  cardAuth: '',
  cardSigning: '',
  auth: '',
  signing: '',
  kenhojo: '',
  juki: '',
  shared: '',
  securityCode: '',
};

/** The phone's PINs: the card's, one shared 4-digit PIN, or one per applet. */
function phonePinsOf(pins: ProvisioningPins, same: boolean, shared: boolean) {
  if (same)
    return { authentication: pins.cardAuth, signing: pins.cardSigning, kenhojo: pins.cardAuth, juki: pins.cardAuth };
  if (shared) return { authentication: pins.shared, signing: pins.signing, kenhojo: pins.shared, juki: pins.juki };
  return { authentication: pins.auth, signing: pins.signing, kenhojo: pins.kenhojo, juki: pins.juki };
}

/** Adds a card: it proves itself with its PINs, and the issuer provisions this phone. */
export function AddCard(props: { readonly wallet: Wallet; readonly done: () => void }) {
  const t = useMessages();
  const { cards, card, setCard } = useDemoCards();
  const [pins, setPins] = useState(NO_PINS);
  const [same, setSame] = useState(true);
  const [shared, setShared] = useState(false);
  const [step, setStep] = useState<ProvisioningStep>();
  const [error, setError] = useState<string>();
  const submit = async () => {
    setError(undefined);
    try {
      await props.wallet.provision({
        card: await connectDemoCard(card),
        cardPins: { authentication: pins.cardAuth, signing: pins.cardSigning },
        phonePins: phonePinsOf(pins, same, shared),
        ...(shared ? { sharedPin: pins.securityCode ? { securityCode: pins.securityCode } : {} } : {}),
        onProgress: setStep,
      });
      props.done();
    } catch (caught) {
      setStep(undefined);
      setError(describeError(caught, t));
    }
  };
  return (
    <section>
      <h2>{t.addTitle}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <DemoCardSelect cards={cards} value={card} onChange={setCard} name="card" testId="demo-card" />
        <PinFieldsets
          pins={pins}
          setPins={setPins}
          same={same}
          setSame={setSame}
          shared={shared}
          setShared={setShared}
        />
        {step && <ProvisioningSteps step={step} />}
        <ErrorMessage text={error} testId="error" />
        <button type="submit" disabled={!card || step !== undefined} data-testid="start-provisioning">
          {t.start}
        </button>
      </form>
    </section>
  );
}

/** The card's PINs, and the phone's: the same as the card's, or chosen here. */
function PinFieldsets(props: {
  readonly pins: ProvisioningPins;
  readonly setPins: (pins: ProvisioningPins) => void;
  readonly same: boolean;
  readonly setSame: (same: boolean) => void;
  readonly shared: boolean;
  readonly setShared: (shared: boolean) => void;
}) {
  const t = useMessages();
  const { pins, setPins, same, shared } = props;
  const field = (name: keyof ProvisioningPins, label: string, numeric: boolean) => (
    <SecretField
      label={label}
      name={name}
      numeric={numeric}
      value={pins[name]}
      onChange={(value) => setPins({ ...pins, [name]: value })}
    />
  );
  return (
    <>
      <fieldset>
        <legend>{t.cardPins}</legend>
        {field('cardAuth', t.cardAuthPin, true)}
        {field('cardSigning', t.cardSigningPassword, false)}
      </fieldset>
      <fieldset>
        <legend>{t.phonePins}</legend>
        <label className="inline">
          <input type="checkbox" checked={same} onChange={(event) => props.setSame(event.target.checked)} />
          {t.sameAsCard}
        </label>
        <SharedPinChoice shared={shared} setShared={props.setShared} />
        {!same && shared && field('shared', t.phoneSharedPin, true)}
        {!same && !shared && (
          <>
            {field('auth', t.phoneAuthPin, true)}
            {field('kenhojo', t.phoneKenhojoPin, true)}
          </>
        )}
        {!same && (
          <>
            {field('signing', t.phoneSigningPassword, false)}
            {field('juki', t.phoneJukiPin, true)}
          </>
        )}
        {shared && (
          <>
            <p className="help">{t.sharedPinHelp}</p>
            {field('securityCode', t.securityCode, true)}
          </>
        )}
      </fieldset>
    </>
  );
}

/** Whether one 4-digit PIN serves the 利用者証明用 and 入力補助 applets. */
function SharedPinChoice(props: { readonly shared: boolean; readonly setShared: (shared: boolean) => void }) {
  const t = useMessages();
  return (
    <label className="inline">
      <input
        type="checkbox"
        checked={props.shared}
        data-testid="shared-pin"
        onChange={(event) => props.setShared(event.target.checked)}
      />
      {t.sharedPinChoice}
    </label>
  );
}

/** The provisioning steps, those done so far marked. */
function ProvisioningSteps(props: { readonly step: ProvisioningStep }) {
  const t = useMessages();
  const reached = PROVISIONING_STEPS.indexOf(props.step);
  return (
    <ol className="steps" data-testid="steps">
      {PROVISIONING_STEPS.map((name) => (
        <li key={name} className={PROVISIONING_STEPS.indexOf(name) <= reached ? 'done' : ''}>
          {t.steps[name]}
        </li>
      ))}
    </ol>
  );
}
