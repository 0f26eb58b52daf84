import type { HolderSummary } from '@openmyna/wallet';

import { CardFace } from '../components/CardFace.js';
import { useMessages } from '../i18n.js';
import type { Screen } from './screen.js';

/** The card face of the holder and the way to every other screen, or the way to add a card. */
export function Home(props: { readonly holder: HolderSummary | undefined; readonly go: (screen: Screen) => void }) {
  const t = useMessages();
  const { holder } = props;
  if (!holder)
    return (
      <section className="home">
        <p data-testid="no-card">{t.noCard}</p>
        <button onClick={() => props.go('add')} data-testid="add-card">
          {t.addCard}
        </button>
      </section>
    );
  return (
    <section className="home">
      <CardFace holder={holder} />
      <nav className="menu">
        <button onClick={() => props.go('scan')} data-testid="go-scan">
          {t.scanNow}
        </button>
        <button onClick={() => props.go('in-person')} data-testid="go-in-person">
          {t.presentInPerson}
        </button>
        <button onClick={() => props.go('request')} data-testid="go-request">
          {t.readRequest}
        </button>
        <button onClick={() => props.go('history')} data-testid="go-history">
          {t.history}
        </button>
        <button onClick={() => props.go('settings')} data-testid="go-settings">
          {t.settings}
        </button>
      </nav>
    </section>
  );
}
