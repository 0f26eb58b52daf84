import { useMessages } from '../i18n.js';

/** The phone PINs a settings form can change or reset. */
export type PhonePin = 'authenticationPin' | 'signingPassword' | 'kenhojoPin';

const PHONE_PINS: readonly PhonePin[] = ['authenticationPin', 'signingPassword', 'kenhojoPin'];

function isPhonePin(value: string): value is PhonePin {
  return (PHONE_PINS as readonly string[]).includes(value);
}

/** Which of the phone's PINs a settings form acts on. */
export function PinChoice(props: { readonly value: PhonePin; readonly onChange: (pin: PhonePin) => void }) {
  const t = useMessages();
  return (
    <label>
      {t.whichPin}
      <select
        value={props.value}
        onChange={(event) => {
          if (isPhonePin(event.target.value)) props.onChange(event.target.value);
        }}
      >
        <option value="authenticationPin">{t.authenticationPin}</option>
        <option value="signingPassword">{t.signingPassword}</option>
        <option value="kenhojoPin">{t.kenhojoPin}</option>
      </select>
    </label>
  );
}
