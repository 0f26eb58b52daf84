import { useEffect, useState } from 'react';

import { useMessages } from '../i18n.js';
import { listDemoCards, type DemoCard } from '../platform.js';

/** The sandbox's demo cards, loaded once, and the one chosen (the first until another is). */
export function useDemoCards(): {
  readonly cards: DemoCard[] | undefined;
  readonly card: string;
  readonly setCard: (id: string) => void;
} {
  const [cards, setCards] = useState<DemoCard[]>();
  const [card, setCard] = useState('');
  useEffect(() => {
    void listDemoCards().then((list) => {
      setCards(list);
      setCard(list[0]?.id ?? '');
    });
  }, []);
  return { cards, card, setCard };
}

/** Chooses one of the sandbox's demo cards. */
export function DemoCardSelect(props: {
  readonly cards: readonly DemoCard[] | undefined;
  readonly value: string;
  readonly onChange: (id: string) => void;
  readonly name?: string;
  readonly testId?: string;
}) {
  const t = useMessages();
  return (
    <label>
      {t.chooseCard}
      <select
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        {...(props.name ? { name: props.name } : {})}
        {...(props.testId ? { 'data-testid': props.testId } : {})}
      >
        {(props.cards ?? []).map((entry) => (
          <option key={entry.id} value={entry.id}>
            {entry.id} {entry.name}
          </option>
        ))}
      </select>
    </label>
  );
}
