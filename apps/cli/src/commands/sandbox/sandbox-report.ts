import { join } from 'node:path';

import type { CliIo } from '../../io.js';
import { DEMO_PINS } from '../card.js';
import type { DemoCard } from './demo-issuer.js';
import { displayPath } from './sandbox-directory.js';
import type { RunningSandbox } from './sandbox-services.js';

/** What `sandbox up` prepared: the registry and the virtual cards with their demo PINs. */
export function preparedReport(
  io: CliIo,
  dataDir: string,
  added: number,
  cards: readonly DemoCard[],
  db?: string,
): string {
  // A database URL is shown without its credentials.
  const where = db ? db.replace(/\/\/[^@/]*@/, '//') : displayPath(io, join(dataDir, 'issuer.db'));
  return [
    `Issuer registry: ${added ? `${added} persons registered` : 'up to date'} (${where})`,
    '',
    `Virtual cards (demo PINs: 利用者証明用 ${DEMO_PINS.authentication}, 署名用 ${DEMO_PINS.signing}, 券面事項入力補助用 ${DEMO_PINS.kenhojo}):`,
    ...cards.map(
      (card) => `  ${card.personId}  ${displayPath(io, card.file)}  セキュリティコード ${card.securityCode}`,
    ),
    `Read one with \`openmyna card dump --data ${displayPath(io, dataDir)} --card <file> --auth-pin ${DEMO_PINS.authentication}\`.`,
    '',
  ].join('\n');
}

/** What runs where, and the walkthrough of the demo. */
export function runningReport(io: CliIo, dataDir: string, running: RunningSandbox): string {
  const { issuer, verifier, wallet, rp, shop, parties } = running;
  const securities = parties.find((party) => party.myNumber)!;
  const shopParty = parties.find((party) => !party.myNumber)!;
  return [
    '',
    'Running (Ctrl-C stops):',
    `  issuer       ${issuer.url}  (OpenAPI ${issuer.url}/openapi.json, OCSP ${issuer.url}/ocsp/{signing|authentication}, CRL ${issuer.url}/crl/…)`,
    `  verifier     ${verifier.url}  (OpenAPI ${verifier.url}/openapi.json, relay ${verifier.url.replace('http', 'ws')}/relay/<id>)`,
    `  web wallet   ${wallet.url}  (open it in a browser: add a demo card with its PINs, then present it)`,
    ...(running.lanAddress
      ? [
          `               on a phone on the same network: open ${wallet.url} and accept the sandbox certificate`,
          `               (or install ${displayPath(io, join(dataDir, 'tls', 'ca.pem'))} on the phone)`,
        ]
      : []),
    `  admin tokens in ${displayPath(io, join(dataDir, 'issuer', 'admin-token.json'))} and ${displayPath(io, join(dataDir, 'verifier', 'admin-token.json'))}; logs in ${displayPath(io, join(dataDir, 'logs'))}`,
    '',
    `Demo relying parties (API keys in ${displayPath(io, join(dataDir, 'verifier', 'demo-relying-parties.json'))}):`,
    ...parties.map(
      (party) =>
        `  ${party.name.padEnd(18)} ${party.myNumber ? 'may receive a My Number (個人番号関係事務)' : 'no My Number'}`,
    ),
    '',
    `  RP demo      ${rp.url}  (${securities.name}: 口座開設, スマホでログイン, 窓口 at /counter${running.lanAddress ? '' : ', デジタル認証アプリ方式 (OpenID Connect) at /login and /oidc/apply'})`,
    `  shop demo    ${shop.url}  (${shopParty.name}: age check; asks for a My Number and is refused)`,
    '',
    ...walkthrough(rp.url),
    '',
  ].join('\n');
}

function walkthrough(rpUrl: string): string[] {
  return [
    'Walkthrough:',
    '  1. Open the web wallet and add a demo card (card PINs 1234 / OPENMYNA1; choose the phone PINs, or one',
    '     shared 4-digit PIN — not the birth date or the security code above); optionally, in 設定, approve',
    '     with biometrics (生体認証・画面ロックで承認する).',
    '  2. Open the RP demo, apply for an account, choose 「スマホで読み取る」 and answer in the wallet (「QRコード',
    '     を読み取る」, or on the same device follow 「こちら」 under it); the page turns to 「認証完了」.',
    '  3. 「スマホでログイン」 on the RP demo: answer in the wallet with the 利用者証明用 PIN.',
    `  4. The counter (${rpUrl}/counter): in the wallet choose 「対面で提示」 and paste its mdoc: text (or`,
    '     scan its QR code); the clerk sees the verified photo, name, address, birth date and age.',
    '  5. The shop: an age check that discloses only 「20歳以上」, and a My Number request the verifier refuses.',
    `  6. 「デジタル認証アプリ方式でログイン」 (${rpUrl}/login) and 「電子署名で申込内容を確認」 (${rpUrl}/oidc/apply):`,
    '     the firm as an OpenID Connect client of the verifier; the verifier’s page shows the QR code.',
  ];
}
