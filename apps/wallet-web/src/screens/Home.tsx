import { base64Encode } from '@openmyna/core';
import type { HolderSummary } from '@openmyna/wallet';

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
      <article className="card-face" data-testid="card-face">
        {holder.portrait.length > 0 && (
          <img src={`data:image/jpeg;base64,${base64Encode(holder.portrait)}`} alt="" className="portrait" />
        )}
        <div>
          <p className="name" data-testid="holder-name">
            {holder.name}
          </p>
          <p>
            <small>{t.birthDate}</small> {holder.birthDate} {holder.sex}
          </p>
          <p>
            <small>{t.address}</small> {holder.address}
          </p>
          <p>
            <small>{t.validUntil}</small> {holder.cardExpiry}
          </p>
        </div>
      </article>
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
