import type { HolderSummary, Wallet } from '@openmyna/wallet';
import { useCallback, useEffect, useState } from 'react';

import { LanguageContext, MESSAGES, type Language } from './i18n.js';
import { loadConfig, openWallet, type WalletConfig } from './platform.js';
import { AddCard, History, Home, InPerson, OpenRequest, Settings, type Screen } from './screens.js';

/** A same-device link arrives as this page with the request's parameters (`?client_id=…&request_uri=…`). */
function requestInLocation(): string | undefined {
  const params = new URLSearchParams(window.location.search);
  return params.has('request_uri') ? window.location.href : undefined;
}

export function App() {
  const [language, setLanguage] = useState<Language>(() =>
    localStorage.getItem('openmyna-language') === 'en' ? 'en' : 'ja',
  );
  const [config, setConfig] = useState<WalletConfig>();
  const [wallet, setWallet] = useState<Wallet>();
  const [holder, setHolder] = useState<HolderSummary>();
  const [screen, setScreen] = useState<Screen>(() => (requestInLocation() ? 'request' : 'home'));
  const [failure, setFailure] = useState<string>();
  const t = MESSAGES[language];

  const refresh = useCallback(async (current: Wallet) => {
    setHolder((await current.provisioned()) ? await current.holder() : undefined);
  }, []);
  useEffect(() => {
    void (async () => {
      try {
        const loaded = await loadConfig();
        const opened = await openWallet(loaded);
        setConfig(loaded);
        setWallet(opened);
        await refresh(opened);
      } catch (error) {
        setFailure(error instanceof Error ? error.message : String(error));
      }
    })();
  }, [refresh]);
  useEffect(() => {
    document.documentElement.lang = language;
    localStorage.setItem('openmyna-language', language);
  }, [language]);

  const home = () => {
    if (wallet) void refresh(wallet);
    if (window.location.search) window.history.replaceState(null, '', window.location.pathname);
    setScreen('home');
  };

  let body;
  if (failure)
    body = (
      <p className="error" role="alert">
        {failure}
      </p>
    );
  else if (!wallet || !config) body = <p>{t.loading}</p>;
  else if (screen === 'add') body = <AddCard wallet={wallet} done={home} />;
  else if (screen === 'request')
    body = (
      <OpenRequest wallet={wallet} done={home} {...(requestInLocation() ? { initial: requestInLocation()! } : {})} />
    );
  else if (screen === 'in-person') body = <InPerson wallet={wallet} config={config} done={home} />;
  else if (screen === 'history') body = <History wallet={wallet} />;
  else if (screen === 'settings') body = <Settings wallet={wallet} changed={() => void refresh(wallet)} />;
  else body = <Home holder={holder} go={setScreen} />;

  return (
    <LanguageContext.Provider value={{ language, setLanguage }}>
      <header>
        {screen !== 'home' && (
          <button className="link" onClick={home} data-testid="back">
            ← {t.back}
          </button>
        )}
        <h1>{t.appName}</h1>
        <button className="link" onClick={() => setLanguage(language === 'ja' ? 'en' : 'ja')} data-testid="language">
          {t.language}
        </button>
      </header>
      <main>{body}</main>
    </LanguageContext.Provider>
  );
}
