import type { HolderSummary, Wallet } from '@openmyna/wallet';
import { useCallback, useEffect, useState } from 'react';

import { ErrorMessage } from './components/ErrorMessage.js';
import { LanguageContext, MESSAGES, type Language } from './i18n.js';
import { loadConfig, openWallet, type WalletConfig } from './platform.js';
import { AddCard, History, Home, InPerson, OpenRequest, Settings, type Screen } from './screens/index.js';

/** A same-device link arrives as this page with the request's parameters (`?client_id=…&request_uri=…`). */
function requestInLocation(): string | undefined {
  const params = new URLSearchParams(window.location.search);
  return params.has('request_uri') ? window.location.href : undefined;
}

export function App() {
  const [language, setLanguage] = useState<Language>(() =>
    localStorage.getItem('openmyna-language') === 'en' ? 'en' : 'ja',
  );
  const { config, wallet, holder, failure, refresh } = useWallet();
  const [screen, setScreen] = useState<Screen>(() => (requestInLocation() ? 'request' : 'home'));
  const t = MESSAGES[language];
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
  if (failure) body = <ErrorMessage text={failure} />;
  else if (!wallet || !config) body = <p>{t.loading}</p>;
  else
    body = <ScreenBody {...{ screen, wallet, config, holder, home, setScreen }} refresh={() => void refresh(wallet)} />;

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

/** The configuration and the wallet, opened once, and the holder of the card it holds (if any). */
function useWallet() {
  const [config, setConfig] = useState<WalletConfig>();
  const [wallet, setWallet] = useState<Wallet>();
  const [holder, setHolder] = useState<HolderSummary>();
  const [failure, setFailure] = useState<string>();
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
  return { config, wallet, holder, failure, refresh };
}

/** The current screen. */
function ScreenBody(props: {
  readonly screen: Screen;
  readonly wallet: Wallet;
  readonly config: WalletConfig;
  readonly holder: HolderSummary | undefined;
  readonly home: () => void;
  readonly setScreen: (screen: Screen) => void;
  readonly refresh: () => void;
}) {
  const { wallet, home } = props;
  switch (props.screen) {
    case 'add':
      return <AddCard wallet={wallet} done={home} />;
    case 'request': {
      const initial = requestInLocation();
      return <OpenRequest wallet={wallet} done={home} {...(initial ? { initial } : {})} />;
    }
    case 'scan':
      return <OpenRequest wallet={wallet} done={home} scan />;
    case 'in-person':
      return <InPerson wallet={wallet} config={props.config} done={home} />;
    case 'history':
      return <History wallet={wallet} />;
    case 'settings':
      return <Settings wallet={wallet} changed={props.refresh} />;
    case 'home':
      return <Home holder={props.holder} go={props.setScreen} />;
  }
}
