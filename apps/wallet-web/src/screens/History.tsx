import type { TransactionLogEntry, Wallet } from '@openmyna/wallet';
import { useEffect, useState } from 'react';

import { useDateWords, useItemLabel, useMessages } from '../i18n.js';

/** The transaction log, newest first, and its export as JSON. */
export function History(props: { readonly wallet: Wallet }) {
  const t = useMessages();
  const label = useItemLabel();
  const { time } = useDateWords();
  const historyItem = (item: string) => t.historyItems[item] ?? label(item);
  const [entries, setEntries] = useState<TransactionLogEntry[]>();
  useEffect(() => {
    void props.wallet.history().then((list) => setEntries(list.reverse()));
  }, [props.wallet]);
  const download = async () => {
    const blob = new Blob([await props.wallet.exportHistory()], { type: 'application/json' });
    const anchor = document.createElement('a');
    anchor.href = URL.createObjectURL(blob);
    anchor.download = 'openmyna-wallet-history.json';
    anchor.click();
    URL.revokeObjectURL(anchor.href);
  };
  return (
    <section>
      <h2>{t.historyTitle}</h2>
      <button className="secondary" onClick={() => void download()} data-testid="export-history">
        {t.export}
      </button>
      {entries?.length === 0 && <p>{t.empty}</p>}
      <ol className="history" data-testid="history">
        {(entries ?? []).map((entry) => (
          <li key={entry.id} className={entry.result}>
            <time dateTime={entry.time}>{time(new Date(entry.time))}</time> <strong>{t.kinds[entry.kind]}</strong>{' '}
            {entry.counterparty?.name && <span>{entry.counterparty.name}</span>} — {t.results[entry.result]}
            {entry.documentTitle && <div>{entry.documentTitle}</div>}
            {entry.items.length > 0 && (
              <div>
                <small>{entry.items.map((item) => historyItem(item)).join(t.listSeparator)}</small>
              </div>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
