/** Why an OpenID Connect flow of the demo stopped: each has its page text (`oidcErrorText`). */
export type OidcFlowErrorCode =
  /** No flow cookie, or one this demo cannot open: expired, or started in another browser. */
  | 'ERR_OIDC_NO_FLOW'
  /** The callback's `state` (or `iss`, …) is not that of the flow this browser started. */
  | 'ERR_OIDC_RESPONSE_MISMATCH'
  /** The provider redirected back with `error` (`access_denied`, …). */
  | 'ERR_OIDC_AUTHORIZATION_ERROR'
  /** The provider answered a back-channel request with an error, or not at all. */
  | 'ERR_OIDC_PROVIDER_UNAVAILABLE'
  /** The sign result is not the transaction's, or cannot be decrypted or read. */
  | 'ERR_OIDC_SIGN_RESULT'
  /** No account was opened with the card that logged in. */
  | 'ERR_OIDC_ACCOUNT_UNKNOWN';

/** An OpenID Connect flow of the demo that stopped; `error` is the OAuth `error` when the provider sent one. */
export class OidcFlowError extends Error {
  constructor(
    readonly code: OidcFlowErrorCode,
    message: string,
    readonly error?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OidcFlowError';
  }
}

/** What the person reads for each OAuth `error` the provider may redirect back with. */
const AUTHORIZATION_ERRORS: Record<string, string> = {
  access_denied:
    'マイナンバーカードでの認証が行われなかったか、認証できませんでした（取り消された、時間切れ、電子証明書の失効など）。もう一度お試しください。',
  invalid_request:
    'この手続きの要求を認証サーバーが受け付けませんでした。電子署名の手続きは一度だけ、10分以内に使えます。',
  invalid_scope: 'この会社には、求めた情報を受け取る登録がありません。',
  login_required: 'マイナンバーカードでの認証が必要です。',
};

/** The page text of each error code (`OidcFlowError`), in Japanese; never a token, code or personal datum. */
export function oidcErrorText(error: OidcFlowError): string {
  switch (error.code) {
    case 'ERR_OIDC_NO_FLOW':
      return 'この手続きは期限切れか、別のブラウザで始められました。最初からやり直してください。';
    case 'ERR_OIDC_RESPONSE_MISMATCH':
      return '認証サーバーからの応答が、このブラウザで始めた手続きのものではありません。最初からやり直してください。';
    case 'ERR_OIDC_AUTHORIZATION_ERROR':
      return AUTHORIZATION_ERRORS[error.error ?? ''] ?? `認証できませんでした（${error.error ?? '不明'}）。`;
    case 'ERR_OIDC_PROVIDER_UNAVAILABLE':
      return 'ただいま認証サーバーと通信できません。しばらくしてからお試しください。';
    case 'ERR_OIDC_SIGN_RESULT':
      return '電子署名の結果を確認できませんでした。最初からやり直してください。';
    case 'ERR_OIDC_ACCOUNT_UNKNOWN':
      return 'このマイナンバーカードで開設された口座が見つかりません。先に口座開設をお申し込みください。';
  }
}
