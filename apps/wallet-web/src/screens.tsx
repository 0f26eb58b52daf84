import type {
  HolderSummary,
  InPersonPresentation,
  PendingPresentation,
  ProvisioningStep,
  TransactionLogEntry,
  Wallet,
} from '@openmyna/wallet';
import { PROVISIONING_STEPS } from '@openmyna/wallet';
import jsQR from 'jsqr';
import QRCode from 'qrcode';
import { useEffect, useRef, useState } from 'react';

import { Consent } from './consent-view.js';
import { describeError } from './errors.js';
import { useMessages } from './i18n.js';
import { connectDemoCard, listDemoCards, type DemoCard, type WalletConfig } from './platform.js';

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));

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
          <img src={`data:image/jpeg;base64,${toBase64(holder.portrait)}`} alt="" className="portrait" />
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

export type Screen = 'home' | 'add' | 'request' | 'in-person' | 'history' | 'settings';

export function AddCard(props: { readonly wallet: Wallet; readonly done: () => void }) {
  const t = useMessages();
  const [cards, setCards] = useState<DemoCard[]>();
  const [card, setCard] = useState('');
  const [pins, setPins] = useState({ cardAuth: '', cardSigning: '', auth: '', signing: '', kenhojo: '', juki: '' });
  const [same, setSame] = useState(true);
  const [step, setStep] = useState<ProvisioningStep>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    void listDemoCards().then((list) => {
      setCards(list);
      setCard(list[0]?.id ?? '');
    });
  }, []);
  const field = (name: keyof typeof pins, text: string, numeric: boolean) => (
    <label>
      {text}
      <input
        type="password"
        name={name}
        autoComplete="off"
        inputMode={numeric ? 'numeric' : 'text'}
        value={pins[name]}
        onChange={(event) => setPins({ ...pins, [name]: event.target.value })}
      />
    </label>
  );
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
        <label>
          {t.chooseCard}
          <select value={card} onChange={(event) => setCard(event.target.value)} name="card" data-testid="demo-card">
            {(cards ?? []).map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.id} {entry.name}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>{t.cardPins}</legend>
          {field('cardAuth', t.cardAuthPin, true)}
          {field('cardSigning', t.cardSigningPassword, false)}
        </fieldset>
        <fieldset>
          <legend>{t.phonePins}</legend>
          <label className="inline">
            <input type="checkbox" checked={same} onChange={(event) => setSame(event.target.checked)} />
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
        {step && (
          <ol className="steps" data-testid="steps">
            {PROVISIONING_STEPS.map((name) => (
              <li
                key={name}
                className={PROVISIONING_STEPS.indexOf(name) <= PROVISIONING_STEPS.indexOf(step) ? 'done' : ''}
              >
                {t.steps[name]}
              </li>
            ))}
          </ol>
        )}
        {error && (
          <p className="error" role="alert" data-testid="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={!card || step !== undefined} data-testid="start-provisioning">
          {t.start}
        </button>
      </form>
    </section>
  );
}

/** Paste a link, scan a QR code, or arrive by a same-device link: then the consent screen. */
export function OpenRequest(props: { readonly wallet: Wallet; readonly initial?: string; readonly done: () => void }) {
  const t = useMessages();
  const [link, setLink] = useState(props.initial ?? '');
  const [pending, setPending] = useState<PendingPresentation>();
  const [outcome, setOutcome] = useState<string>();
  const [error, setError] = useState<string>();
  const [scanning, setScanning] = useState(false);
  const open = async (text: string) => {
    setError(undefined);
    try {
      setPending(await props.wallet.openRequest(text));
    } catch (caught) {
      setError(describeError(caught, t));
    }
  };
  useEffect(() => {
    if (props.initial) void open(props.initial);
    // Opened once, for the link the page arrived with.
  }, []);
  if (outcome) return <Outcome text={outcome} done={props.done} />;
  if (pending)
    return (
      <Consent
        view={pending.view}
        onApprove={async (approval) => {
          const result = await props.wallet.approve(pending, approval);
          if (result.redirectUri) window.location.assign(result.redirectUri);
          setOutcome(t.sent);
        }}
        onDecline={async () => {
          await props.wallet.decline(pending);
          setOutcome(t.declined);
        }}
      />
    );
  return (
    <section>
      <h2>{t.requestTitle}</h2>
      <p>{t.requestHelp}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void open(link);
        }}
      >
        <label>
          {t.paste}
          <textarea name="link" rows={4} value={link} onChange={(event) => setLink(event.target.value)} />
        </label>
        <button type="submit" data-testid="open-request">
          {t.open}
        </button>
      </form>
      {scanning ? (
        <Scanner
          onText={(text) => {
            setScanning(false);
            void open(text);
          }}
          onStop={() => setScanning(false)}
        />
      ) : (
        <button className="secondary" onClick={() => setScanning(true)} data-testid="scan">
          {t.scan}
        </button>
      )}
      {error && (
        <p className="error" role="alert" data-testid="error">
          {error}
        </p>
      )}
    </section>
  );
}

/** The camera, read frame by frame for a QR code (jsQR). */
function Scanner(props: { readonly onText: (text: string) => void; readonly onStop: () => void }) {
  const t = useMessages();
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    let stream: MediaStream | undefined;
    let frame = 0;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const tick = () => {
      const element = video.current;
      if (element && context && element.readyState >= 2) {
        canvas.width = element.videoWidth;
        canvas.height = element.videoHeight;
        context.drawImage(element, 0, 0);
        const found = jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
        if (found?.data) return props.onText(found.data);
      }
      frame = requestAnimationFrame(tick);
    };
    void navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: 'environment' } })
      .then((media) => {
        stream = media;
        if (video.current) {
          video.current.srcObject = media;
          void video.current.play();
        }
        frame = requestAnimationFrame(tick);
      })
      .catch(() => props.onStop());
    return () => {
      cancelAnimationFrame(frame);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [props]);
  return (
    <div className="scanner">
      <video ref={video} muted playsInline />
      <button className="secondary" onClick={props.onStop}>
        {t.stopScan}
      </button>
    </div>
  );
}

/** ISO 18013-5 in person: the engagement QR, the reader's request, consent, the encrypted answer. */
export function InPerson(props: { readonly wallet: Wallet; readonly config: WalletConfig; readonly done: () => void }) {
  const t = useMessages();
  const [qr, setQr] = useState<string>();
  const [session, setSession] = useState<InPersonPresentation>();
  const [view, setView] = useState<Awaited<ReturnType<InPersonPresentation['waitForRequest']>>>();
  const [outcome, setOutcome] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let current: InPersonPresentation | undefined;
    const id = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    void (async () => {
      try {
        current = await props.wallet.startInPerson({ url: props.config.relayUrl, session: id });
        setSession(current);
        setQr(await QRCode.toString(current.qr, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 }));
        setView(await current.waitForRequest());
      } catch (caught) {
        setError(describeError(caught, t));
      }
    })();
    return () => void current?.close();
    // One session per visit of the screen.
  }, []);
  if (outcome) return <Outcome text={outcome} done={props.done} />;
  if (view && session)
    return (
      <Consent
        view={view}
        onApprove={async (approval) => {
          await session.approve(approval.kenhojoPin ?? '');
          setOutcome(t.sent);
        }}
        onDecline={async () => {
          await session.decline();
          setOutcome(t.declined);
        }}
      />
    );
  return (
    <section>
      <h2>{t.inPersonTitle}</h2>
      <p>{t.showQr}</p>
      {qr && (
        <div
          className="qr"
          data-testid="engagement-qr"
          data-uri={session?.qr}
          dangerouslySetInnerHTML={{ __html: qr }}
        />
      )}
      {session && (
        <details className="engagement-text">
          <summary>{t.engagementText}</summary>
          <textarea readOnly rows={3} value={session.qr} data-testid="engagement-text" />
        </details>
      )}
      <p>{t.waiting}</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

export function History(props: { readonly wallet: Wallet }) {
  const t = useMessages();
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
            <time>{new Date(entry.time).toLocaleString()}</time> <strong>{t.kinds[entry.kind]}</strong>{' '}
            {entry.counterparty?.name && <span>{entry.counterparty.name}</span>} — {t.results[entry.result]}
            {entry.documentTitle && <div>{entry.documentTitle}</div>}
            {entry.items.length > 0 && <small>{entry.items.join(', ')}</small>}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Settings(props: { readonly wallet: Wallet; readonly changed: () => void }) {
  const t = useMessages();
  const [which, setWhich] = useState<PhonePin>('kenhojoPin');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [authPin, setAuthPin] = useState('');
  const [message, setMessage] = useState<string>();
  const act = async (action: () => Promise<string>) => {
    try {
      setMessage(await action());
    } catch (caught) {
      setMessage(`${t.error}: ${describeError(caught, t)}`);
    }
  };
  return (
    <section>
      <h2>{t.settingsTitle}</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void act(async () => {
            await props.wallet.changePin(which, current, next);
            return t.changed;
          });
        }}
      >
        <h3>{t.changePin}</h3>
        <PinChoice value={which} onChange={setWhich} />
        <label>
          {t.currentPin}
          <input type="password" value={current} onChange={(event) => setCurrent(event.target.value)} />
        </label>
        <label>
          {t.newPin}
          <input type="password" value={next} onChange={(event) => setNext(event.target.value)} />
        </label>
        <button type="submit">{t.change}</button>
      </form>
      <PinReset wallet={props.wallet} report={setMessage} />
      <h3>{t.status}</h3>
      <button
        className="secondary"
        onClick={() => void act(async () => t.statusOf[await props.wallet.checkStatus()])}
        data-testid="check-status"
      >
        {t.status}
      </button>
      <p>{t.lifecycleHelp}</p>
      <label>
        {t.authenticationPin}
        <input
          type="password"
          inputMode="numeric"
          value={authPin}
          onChange={(event) => setAuthPin(event.target.value)}
          name="lifecycle-pin"
        />
      </label>
      <div className="actions">
        <button
          className="secondary"
          onClick={() =>
            void act(async () => {
              await props.wallet.changeLifecycle('suspend', authPin);
              return t.suspended;
            })
          }
        >
          {t.suspend}
        </button>
        <button
          className="danger"
          data-testid="revoke"
          onClick={() =>
            void act(async () => {
              await props.wallet.changeLifecycle('revoke', authPin);
              props.changed();
              return t.revoked;
            })
          }
        >
          {t.revoke}
        </button>
      </div>
      <button
        className="danger"
        onClick={() =>
          void act(async () => {
            await props.wallet.wipe('reset');
            props.changed();
            return t.resetDone;
          })
        }
      >
        {t.reset}
      </button>
      {message && (
        <p className="notice" role="status" data-testid="settings-message">
          {message}
        </p>
      )}
    </section>
  );
}

/** A blocked or forgotten PIN, reset with the card: its signing password, then the issuer's authorization. */
function PinReset(props: { readonly wallet: Wallet; readonly report: (message: string) => void }) {
  const t = useMessages();
  const [cards, setCards] = useState<DemoCard[]>([]);
  const [card, setCard] = useState('');
  const [password, setPassword] = useState('');
  const [which, setWhich] = useState<PhonePin>('authenticationPin');
  const [next, setNext] = useState('');
  useEffect(() => {
    void listDemoCards().then((list) => {
      setCards(list);
      setCard(list[0]?.id ?? '');
    });
  }, []);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void (async () => {
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
        })();
      }}
    >
      <h3>{t.resetPin}</h3>
      <p>{t.resetPinHelp}</p>
      <label>
        {t.chooseCard}
        <select value={card} onChange={(event) => setCard(event.target.value)}>
          {cards.map((entry) => (
            <option key={entry.id} value={entry.id}>
              {entry.id} {entry.name}
            </option>
          ))}
        </select>
      </label>
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

type PhonePin = 'authenticationPin' | 'signingPassword' | 'kenhojoPin';

/** Which of the phone's PINs a settings form acts on. */
function PinChoice(props: { readonly value: PhonePin; readonly onChange: (pin: PhonePin) => void }) {
  const t = useMessages();
  return (
    <label>
      {t.whichPin}
      <select value={props.value} onChange={(event) => props.onChange(event.target.value as PhonePin)}>
        <option value="authenticationPin">{t.authenticationPin}</option>
        <option value="signingPassword">{t.signingPassword}</option>
        <option value="kenhojoPin">{t.kenhojoPin}</option>
      </select>
    </label>
  );
}

/** How a presentation ended, with the way home. */
function Outcome(props: { readonly text: string; readonly done: () => void }) {
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
