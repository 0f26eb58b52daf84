import type { Wallet } from '@openmyna/wallet';
import { useState } from 'react';

import { DemoCardSelect, useDemoCards } from '../components/DemoCardSelect.js';
import { PinChoice, type PhonePin } from '../components/PinChoice.js';
import { describeError } from '../errors.js';
import { useMessages } from '../i18n.js';
import { connectDemoCard } from '../platform.js';

/** A blocked or forgotten PIN, reset with the card: its signing password, then the issuer's authorization. */
export function PinReset(props: { readonly wallet: Wallet; readonly report: (message: string) => void }) {
  const t = useMessages();
  const { cards, card, setCard } = useDemoCards();
  const [password, setPassword] = useState('');
  const [which, setWhich] = useState<PhonePin>('authenticationPin');
  const [next, setNext] = useState('');
  const reset = async () => {
    try {
      await props.wallet.resetPins({
        card: await connectDemoCard(card),
        cardSigningPassword: password,
        pins: { [which]: next },
      });
      props.report(t.resetPinDone);
    } catch (caught) {
      props.report(`${t.error}: ${describeError(caught, t)}`);
    }
  };
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void reset();
      }}
    >
      <h3>{t.resetPin}</h3>
      <p>{t.resetPinHelp}</p>
      <DemoCardSelect cards={cards} value={card} onChange={setCard} />
      <label>
        {t.cardSigningPassword}
        <input
          type="password"
          name="reset-card-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      <PinChoice value={which} onChange={setWhich} />
      <label>
        {t.newPin}
        <input type="password" name="reset-new-pin" value={next} onChange={(event) => setNext(event.target.value)} />
      </label>
      <button type="submit" className="secondary" data-testid="reset-pin">
        {t.resetPin}
      </button>
    </form>
  );
}
