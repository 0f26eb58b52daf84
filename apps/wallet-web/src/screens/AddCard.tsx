import type { ProvisioningStep, Wallet } from '@openmyna/wallet';
import { PROVISIONING_STEPS } from '@openmyna/wallet';
import { useState } from 'react';

import { DemoCardSelect, useDemoCards } from '../components/DemoCardSelect.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { SecretField } from '../components/SecretField.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { connectDemoCard } from '../platform.js';

type ProvisioningPins = Record<'cardAuth' | 'cardSigning' | 'auth' | 'signing' | 'kenhojo' | 'juki', string>;

const NO_PINS: ProvisioningPins = { cardAuth: '', cardSigning: '', auth: '', signing: '', kenhojo: '', juki: '' };

/** Adds a card: it proves itself with its PINs, and the issuer provisions this phone. */
export function AddCard(props: { readonly wallet: Wallet; readonly done: () => void }) {
  const t = useMessages();
  const { cards, card, setCard } = useDemoCards();
  const [pins, setPins] = useState(NO_PINS);
  const [same, setSame] = useState(true);
  const [step, setStep] = useState<ProvisioningStep>();
  const [error, setError] = useState<string>();
  const submit = async () => {
    setError(undefined);
    try {
      await props.wallet.provision({
        card: await connectDemoCard(card),
        cardPins: { authentication: pins.cardAuth, signing: pins.cardSigning },
        phonePins: same
          ? { authentication: pins.cardAuth, signing: pins.cardSigning, kenhojo: pins.cardAuth, juki: pins.cardAuth }
          : { authentication: pins.auth, signing: pins.signing, kenhojo: pins.kenhojo, juki: pins.juki },
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
        <PinFieldsets pins={pins} setPins={setPins} same={same} setSame={setSame} />
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
}) {
  const t = useMessages();
  const { pins, setPins, same } = props;
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
        {!same && (
          <>
            {field('auth', t.phoneAuthPin, true)}
            {field('signing', t.phoneSigningPassword, false)}
            {field('kenhojo', t.phoneKenhojoPin, true)}
            {field('juki', t.phoneJukiPin, true)}
          </>
        )}
      </fieldset>
    </>
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
