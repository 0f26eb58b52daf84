import { useMessages } from '../i18n.js';

/** How a presentation ended, with the way home. */
export function Outcome(props: { readonly text: string; readonly done: () => void }) {
  const t = useMessages();
  return (
    <section>
      <p className="outcome" data-testid="outcome">
        {props.text}
      </p>
      <button onClick={props.done}>{t.home}</button>
    </section>
  );
}
