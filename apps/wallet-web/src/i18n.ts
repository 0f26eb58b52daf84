import { formatJapanTime } from '@openmyna/core';
import { itemLabel } from '@openmyna/mdoc';
import { createContext, useContext } from 'react';

export type Language = 'ja' | 'en';

/** Each PIN's name in a lock message, by the wallet's `PinName`. */
const PIN_NAMES_JA: Readonly<Record<string, string>> = {
  authenticationPin: '利用者証明用暗証番号',
  signingPassword: '署名用パスワード',
  kenhojoPin: '券面事項入力補助用暗証番号',
  jukiPin: '住民基本台帳用暗証番号',
  cardAuthenticationPin: '利用者証明用暗証番号',
  cardSigningPassword: '署名用パスワード',
};

const PIN_NAMES_EN: Readonly<Record<string, string>> = {
  authenticationPin: 'user authentication PIN',
  signingPassword: 'signing password',
  kenhojoPin: 'card-data PIN',
  jukiPin: 'resident registry PIN',
  cardAuthenticationPin: 'user authentication PIN',
  cardSigningPassword: 'signing password',
};

/** A date as the card prints it: 4-digit year, 2-digit month and day. */
export interface PrintedDate {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

const ja = {
  appName: 'openmyna ウォレット',
  language: 'English',
  loading: '読み込み中…',
  home: 'ホーム',
  noCard: 'このスマートフォンにはまだマイナンバーカードがありません。',
  addCard: 'マイナンバーカードを追加',
  cardTitle: '個人番号カード',
  cardName: '氏名',
  cardAddress: '住所',
  cardSex: '性別',
  cardPhoto: '顔写真',
  cardBorn: (date: string) => `${date}生`,
  cardValidUntil: (date: PrintedDate) => `${date.year}年${date.month}月${date.day}日まで有効`,
  presentInPerson: '対面で提示',
  readRequest: '読み取る・開く',
  history: '利用履歴',
  settings: '設定',
  back: '戻る',
  // Add card
  addTitle: 'マイナンバーカードの追加',
  chooseCard: 'カードをかざす（デモ: カードを選ぶ）',
  cardPins: 'カードの暗証番号',
  cardAuthPin: '利用者証明用電子証明書の暗証番号（数字4桁）',
  cardSigningPassword: '署名用電子証明書のパスワード（英大文字と数字 6〜16桁）',
  phonePins: 'スマートフォンで使う暗証番号',
  sameAsCard: 'カードと同じ暗証番号を使う',
  phoneAuthPin: '利用者証明用暗証番号（数字4桁）',
  phoneSigningPassword: '署名用パスワード（英大文字と数字 6〜16桁）',
  phoneKenhojoPin: '券面事項入力補助用暗証番号（数字4桁）',
  phoneJukiPin: '住民基本台帳用暗証番号（数字4桁）',
  start: '開始',
  steps: {
    'generating-keys': 'スマートフォンの鍵を生成しています',
    'opening-session': '発行者に接続しています',
    'card-authentication': 'カードを確認しています（利用者証明用）',
    'card-signing': 'カードで申請に署名しています（署名用）',
    issuing: '電子証明書を発行しています',
    installing: 'スマートフォンに格納しています',
  },
  added: 'カードを追加しました',
  // Request
  requestTitle: '要求を読み取る',
  requestHelp: 'QRコードを読み取るか、リンクを貼り付けてください。',
  paste: 'リンクを貼り付け',
  open: '開く',
  scan: 'カメラで読み取る',
  stopScan: '読み取りをやめる',
  cameraView: 'カメラの映像',
  // Consent
  consentTitle: '提供内容の確認',
  requester: '要求元',
  verified: '証明書で確認済み',
  notVerified: '確認できない相手です',
  purpose: '利用目的',
  document: '署名する文書',
  digest: '相手が計算した文書のハッシュ値 (SHA-256) に署名します:',
  digestInfo: '相手が計算した文書のハッシュ値 (SHA-256、DigestInfo 形式) に署名します:',
  items: '提供する情報',
  retained: '相手が保存します',
  notRetained: '保存されません',
  withheld: '提供しません',
  myNumberAllowed: 'この相手はマイナンバーの提供先として登録されています。',
  myNumberRefused: 'この相手はマイナンバーを受け取れません。マイナンバーは送信しません。',
  signingPassword: '署名用パスワード',
  authenticationPin: '利用者証明用暗証番号',
  kenhojoPin: '券面事項入力補助用暗証番号',
  approve: '同意して送信',
  decline: '拒否',
  sent: '送信しました',
  declined: '拒否しました',
  triesLeft: (n: number) => `暗証番号が違います。残り ${n} 回です。`,
  pinLocked: (pin: string | undefined) =>
    pin?.startsWith('card')
      ? `マイナンバーカードの${PIN_NAMES_JA[pin] ?? '暗証番号'}がロックされました。お住まいの市区町村の窓口で初期化してください。`
      : `${PIN_NAMES_JA[pin ?? ''] ?? '暗証番号'}がロックされました。設定の「暗証番号の初期化（カードを使う）」で、マイナンバーカードを使って設定し直してください。`,
  rejected: '相手先が回答を受け付けませんでした。',
  phoneRevoked:
    'このスマートフォンは失効しています（鍵は発行者のもとで削除されました）。カードを追加し直してください。',
  // One verification per consent (shared PIN, platform verification)
  sharedPin: '暗証番号（数字4桁）',
  sharedPinChoice: '利用者証明用と券面事項入力補助用に同じ暗証番号（数字4桁）を使う',
  phoneSharedPin: '暗証番号（数字4桁、利用者証明用・券面事項入力補助用）',
  securityCode: 'カード表面のセキュリティコード（数字4桁、任意）',
  sharedPinHelp:
    '生年月日やセキュリティコードと同じ数字は使えません。セキュリティコードを入力すると、同じでないかを確認します。',
  pinWeak: '生年月日やセキュリティコードと同じ数字は、暗証番号に使えません。別の数字を選んでください。',
  platformTitle: '生体認証・画面ロックで承認する',
  platformHelp:
    '一度設定すると、承認のたびに暗証番号を入力する代わりに、この端末の生体認証（指紋・顔）または画面ロックで承認できます。暗証番号は、この端末の認証器でしか開けない形で保存します。',
  platformSetUp: '暗証番号を確認して設定する',
  platformSetUpDone: '設定しました。次回から生体認証で承認できます。',
  platformOn: '設定済みです。',
  platformForget: '設定を解除する',
  platformForgotten: '解除しました。',
  platformUnavailable: 'この端末またはブラウザでは使えません（生体認証か画面ロックに対応した認証器が必要です）。',
  platformUnsupported: 'この端末の認証器は、暗証番号の保護に必要な機能（PRF 拡張）に対応していないため使えません。',
  platformFailed: '生体認証で承認できませんでした。',
  approvePlatform: '生体認証で承認して送信',
  platformFallback:
    '生体認証で承認できませんでした。暗証番号を入力して送信してください。設定画面で登録し直すこともできます。',
  orEnterPins: 'または暗証番号を入力して送信',
  scanNow: 'QRコードを読み取る',
  // In person
  inPersonTitle: '対面で提示',
  showQr: 'このQRコードを相手の読み取り機に見せてください。',
  engagementQr: '提示用のQRコード',
  engagementText: 'カメラのない窓口では、このテキストを渡してください',
  waiting: '相手からの要求を待っています…',
  // History
  historyTitle: '利用履歴',
  export: '書き出す（JSON）',
  empty: 'まだ履歴はありません。',
  // The phone's own items of the log (the others are named by the shared label table).
  historyItems: { ...PIN_NAMES_JA, suspend: '一時停止', revoke: '失効' } as Record<string, string>,
  listSeparator: '、',
  results: {
    completed: '完了',
    declined: '拒否',
    refused: '拒否（ウォレット）',
    'pin-wrong': '暗証番号の誤り',
    'pin-locked': 'ロック',
    failed: '失敗',
  },
  kinds: {
    provisioning: 'カード追加',
    presentation: 'オンライン提示',
    'in-person': '対面提示',
    signature: '電子署名',
    login: 'ログイン',
    lifecycle: '一時停止・失効',
    'pin-change': '暗証番号変更',
    'pin-reset': '暗証番号初期化',
    'platform-verification': '生体認証の設定',
    'mdoc-refill': '提示用データの補充',
    wipe: '消去',
  },
  // Settings
  settingsTitle: '設定',
  changePin: '暗証番号の変更',
  whichPin: '変更する暗証番号',
  currentPin: '現在の暗証番号',
  newPin: '新しい暗証番号',
  change: '変更',
  changed: '変更しました',
  resetPin: '暗証番号の初期化（カードを使う）',
  resetPinHelp: 'ロックされた暗証番号や忘れた暗証番号は、カードの署名用パスワードで初期化できます。',
  resetPinDone: '初期化しました。新しい暗証番号が使えます。',
  status: '証明書の状態を確認',
  statusOf: { good: '有効', suspended: '一時停止中', revoked: '失効（消去しました）', unknown: '確認できません' },
  statusCheckedAt: (time: Date) => `${formatJapanTime(time)}に確認`,
  suspend: '一時停止する',
  revoke: '失効させる（このスマートフォンから消去）',
  lifecycleHelp: 'スマートフォンを紛失したときはカードで手続きします。ここではこのスマートフォン自身を止めます。',
  suspended: '一時停止しました',
  revoked: '失効させ、このスマートフォンから消去しました',
  reset: 'ウォレットを初期化（カードを消去）',
  resetDone: '消去しました',
  error: 'エラー',
};

type Messages = typeof ja;

const en: Messages = {
  appName: 'openmyna wallet',
  language: '日本語',
  loading: 'Loading…',
  home: 'Home',
  noCard: 'This phone holds no My Number Card yet.',
  addCard: 'Add My Number Card',
  cardTitle: 'Individual Number Card',
  cardName: 'Name',
  cardAddress: 'Address',
  cardSex: 'Sex',
  cardPhoto: 'Photo',
  cardBorn: (date: string) => `Born ${date}`,
  cardValidUntil: (date: PrintedDate) =>
    `Valid until ${Number(date.day)} ${MONTH_NAMES[Number(date.month) - 1] ?? date.month} ${date.year}`,
  presentInPerson: 'Present in person',
  readRequest: 'Scan or open a request',
  history: 'History',
  settings: 'Settings',
  back: 'Back',
  addTitle: 'Add My Number Card',
  chooseCard: 'Hold the card to the phone (demo: choose a card)',
  cardPins: "The card's PINs",
  cardAuthPin: 'User authentication PIN (4 digits)',
  cardSigningPassword: 'Signing password (6–16 upper-case letters and digits)',
  phonePins: "The phone's PINs",
  sameAsCard: "Use the card's PINs",
  phoneAuthPin: 'User authentication PIN (4 digits)',
  phoneSigningPassword: 'Signing password (6–16 upper-case letters and digits)',
  phoneKenhojoPin: 'Card-data PIN (4 digits)',
  phoneJukiPin: 'Resident registry PIN (4 digits)',
  start: 'Start',
  steps: {
    'generating-keys': "Generating the phone's keys",
    'opening-session': 'Connecting to the issuer',
    'card-authentication': 'Checking the card (authentication)',
    'card-signing': 'Signing the application with the card',
    issuing: 'Issuing the certificates',
    installing: 'Installing on the phone',
  },
  added: 'The card was added',
  requestTitle: 'Scan or open a request',
  requestHelp: 'Scan the QR code, or paste the link.',
  paste: 'Paste the link',
  open: 'Open',
  scan: 'Scan with the camera',
  stopScan: 'Stop scanning',
  cameraView: 'Camera view',
  consentTitle: 'Review what is asked',
  requester: 'Requester',
  verified: 'verified by its certificate',
  notVerified: 'could not be verified',
  purpose: 'Purpose',
  document: 'Document to sign',
  digest: 'You sign the hash (SHA-256) the requester computed over the document:',
  digestInfo: 'You sign the hash (SHA-256, as a DigestInfo) the requester computed over the document:',
  items: 'Information to share',
  retained: 'the requester keeps it',
  notRetained: 'not kept',
  withheld: 'not shared',
  myNumberAllowed: 'This requester is registered to receive My Numbers.',
  myNumberRefused: 'This requester may not receive a My Number; it will not be sent.',
  signingPassword: 'Signing password',
  authenticationPin: 'User authentication PIN',
  kenhojoPin: 'Card-data PIN',
  approve: 'Agree and send',
  decline: 'Decline',
  sent: 'Sent',
  declined: 'Declined',
  triesLeft: (n: number) => `Wrong PIN. ${n} tries left.`,
  pinLocked: (pin: string | undefined) =>
    pin?.startsWith('card')
      ? `Your card's ${PIN_NAMES_EN[pin] ?? 'PIN'} is now locked. Have it reset at your municipality's office.`
      : `The ${PIN_NAMES_EN[pin ?? ''] ?? 'PIN'} is now locked. Reset it with your My Number Card in Settings, "Reset a PIN (with the card)".`,
  rejected: 'The relying party did not accept the answer.',
  phoneRevoked: 'This phone was revoked (its keys at the issuer were destroyed). Add the card again.',
  // One verification per consent (shared PIN, platform verification)
  sharedPin: 'PIN (4 digits)',
  sharedPinChoice: 'Use one 4-digit PIN for user authentication and card data',
  phoneSharedPin: 'PIN (4 digits; user authentication and card data)',
  securityCode: 'Security code on the card (4 digits, optional)',
  sharedPinHelp: 'Your birth date and the security code cannot be the PIN. Enter the security code to have it checked.',
  pinWeak: 'Your birth date or the card’s security code cannot be the PIN. Choose other digits.',
  platformTitle: 'Approve with biometrics or screen lock',
  platformHelp:
    'Once set up, you approve with this phone’s biometrics (fingerprint, face) or screen lock instead of typing PINs. The PINs are stored so that only this phone’s authenticator can open them.',
  platformSetUp: 'Check the PINs and set up',
  platformSetUpDone: 'Set up. From now on you can approve with biometrics.',
  platformOn: 'Set up.',
  platformForget: 'Turn off',
  platformForgotten: 'Turned off.',
  platformUnavailable:
    'Not available on this phone or browser (it needs an authenticator with biometrics or a screen lock).',
  platformUnsupported:
    'This phone’s authenticator lacks the feature needed to protect the PINs (the PRF extension), so it cannot be used.',
  platformFailed: 'Approval with biometrics did not work.',
  approvePlatform: 'Approve with biometrics and send',
  platformFallback:
    'Approval with biometrics did not work. Enter your PINs and send; you can set it up again in Settings.',
  orEnterPins: 'Or enter your PINs and send',
  scanNow: 'Scan a QR code',
  inPersonTitle: 'Present in person',
  showQr: "Show this QR code to the other side's reader.",
  engagementQr: 'QR code to present',
  engagementText: 'For a counter without a camera, give this text instead',
  waiting: 'Waiting for the request…',
  historyTitle: 'History',
  export: 'Export (JSON)',
  empty: 'Nothing yet.',
  historyItems: {
    authenticationPin: 'User authentication PIN',
    signingPassword: 'Signing password',
    kenhojoPin: 'Card-data PIN',
    jukiPin: 'Resident registry PIN',
    suspend: 'Suspension',
    revoke: 'Revocation',
  },
  listSeparator: ', ',
  results: {
    completed: 'completed',
    declined: 'declined',
    refused: 'refused by the wallet',
    'pin-wrong': 'wrong PIN',
    'pin-locked': 'PIN locked',
    failed: 'failed',
  },
  kinds: {
    provisioning: 'Card added',
    presentation: 'Online presentation',
    'in-person': 'In-person presentation',
    signature: 'Signature',
    login: 'Login',
    lifecycle: 'Suspend / revoke',
    'pin-change': 'PIN change',
    'pin-reset': 'PIN reset',
    'platform-verification': 'Biometric approval set-up',
    'mdoc-refill': 'mdoc refill',
    wipe: 'Wiped',
  },
  settingsTitle: 'Settings',
  changePin: 'Change a PIN',
  whichPin: 'PIN to change',
  currentPin: 'Current PIN',
  newPin: 'New PIN',
  change: 'Change',
  changed: 'Changed',
  resetPin: 'Reset a PIN (with the card)',
  resetPinHelp: "A blocked or forgotten PIN is reset with the card's signing password.",
  resetPinDone: 'Reset. The new PIN is in force.',
  status: 'Check the certificate status',
  statusOf: { good: 'valid', suspended: 'suspended', revoked: 'revoked (wiped)', unknown: 'unknown' },
  statusCheckedAt: (time: Date) => `checked ${formatJapanTime(time, 'en')}`,
  suspend: 'Suspend',
  revoke: 'Revoke (wipe from this phone)',
  lifecycleHelp: 'A lost phone is stopped with the card. Here, this phone stops itself.',
  suspended: 'Suspended',
  revoked: 'Revoked and wiped from this phone',
  reset: 'Reset the wallet (remove the card)',
  resetDone: 'Removed',
  error: 'Error',
};

export const MESSAGES: Record<Language, Messages> = { ja, en };

export const LanguageContext = createContext<{ language: Language; setLanguage: (language: Language) => void }>({
  language: 'ja',
  setLanguage: () => undefined,
});

/** The messages of the current language. */
export function useMessages(): Messages {
  return MESSAGES[useContext(LanguageContext).language];
}

/** A consent or history item's name in the current language, from the shared label table. */
export function useItemLabel(): (name: string, elementIdentifier?: string) => string {
  const { language } = useContext(LanguageContext);
  return (name, elementIdentifier) => {
    const label = itemLabel(name, language);
    return label === name && elementIdentifier ? itemLabel(elementIdentifier, language) : label;
  };
}

/** Times in 日本時間 in the current language. */
export function useDateWords(): { time: (instant: Date) => string } {
  const { language } = useContext(LanguageContext);
  return { time: (instant) => formatJapanTime(instant, language) };
}
