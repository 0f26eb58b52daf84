import {
  decodeBasicFourInfoFile,
  decodeMyNumberFile,
  verifyKenhojoRecords,
  type CardRsaPublicKey,
  type CardSignatureCheck,
  type KenhojoRecords,
} from '@openmyna/card';
import { formatIsoDate, type BasicFourInfo } from '@openmyna/core';
import type { KenhojoRecordName } from '@openmyna/mdoc';
import { fail, pass, summarize, type CheckResult, type JpkiIdentity, type VerificationSummary } from '@openmyna/pki';

import type { RelyingPartyAuthorization } from './mdoc.js';
import { verificationRecord, type VerificationRecord } from './record.js';

/** The result of {@link verifyKenhojo}. */
export interface KenhojoVerification extends VerificationSummary {
  /** Only for a `valid` result, and only when the 個人番号 EF was presented. Never put it in a log or the record. */
  readonly myNumber?: string;
  readonly basicFourInfo?: BasicFourInfo;
  readonly record: VerificationRecord;
}

/**
 * Verifies 入力補助 records as received: the card package's checks (CV certificate under the
 * configured CA keys, integrity signature, each digest over the bytes received, the My Number check
 * digit), then `kenhojo.binding` — the 4 info of the record equal those of the signing certificate of
 * the same presentation (already verified by {@link verifyJpkiSignature}), so a valid record of one
 * person cannot ride along with another person's signature. Without that identity, or without the
 * 基本4情報 EF, the binding fails: the records alone prove only that the municipality once wrote them.
 * On the answer side, `kenhojo.requested` (every record presented was asked for) and `rp.authorization`
 * (a 個人番号 EF only to a relying party registered for My Numbers) fail closed too.
 */
export function verifyKenhojo(
  records: KenhojoRecords,
  options: {
    readonly caKeys: ReadonlyMap<string, CardRsaPublicKey>;
    /** The holder's identity from the verified signing certificate of the same presentation. */
    readonly signer: JpkiIdentity | undefined;
    /** The records the request asked for (its `meta.records`). */
    readonly requested: readonly KenhojoRecordName[];
    /** Who receives them. */
    readonly rp: Pick<RelyingPartyAuthorization, 'id' | 'myNumber'>;
    readonly clock: () => Date;
    /** How record signatures are checked (default portable BigInt; `nodeCardSignatureCheck` on Node). */
    readonly signatureCheck?: CardSignatureCheck;
  },
): KenhojoVerification {
  const base = verifyKenhojoRecords(records, options.caKeys, options.signatureCheck);
  const checks: CheckResult[] = [...base.checks];
  const presented: KenhojoRecordName[] = [
    ...(records.myNumberFile ? (['my_number'] as const) : []),
    ...(records.basicFourInfoFile ? (['basic_four_info'] as const) : []),
  ];
  const unasked = presented.filter((record) => !options.requested.includes(record));
  checks.push(
    unasked.length === 0
      ? pass('kenhojo.requested')
      : fail('kenhojo.requested', `${unasked.join(', ')} was presented but not requested`),
  );
  checks.push(
    records.myNumberFile && !options.rp.myNumber
      ? fail('rp.authorization', 'this relying party may not receive my_number')
      : pass('rp.authorization'),
  );
  // Read once by the card package when its checks all passed; read here only to name a failure.
  const recorded = base.basicFourInfo ?? readBasicFourInfo(records);
  checks.push(checkBinding(options.signer, recorded));
  const summary = summarize(checks);
  let myNumber: string | undefined;
  if (summary.status === 'valid' && records.myNumberFile) myNumber = decodeMyNumberFile(records.myNumberFile).myNumber;
  return {
    ...summary,
    ...(myNumber ? { myNumber } : {}),
    ...(summary.status === 'valid' && recorded ? { basicFourInfo: recorded } : {}),
    record: verificationRecord(summary, {
      method: 'kenhojo',
      at: options.clock(),
      ...(recorded ? { subject: recorded } : {}),
    }),
  };
}

function readBasicFourInfo(records: KenhojoRecords): BasicFourInfo | undefined {
  if (!records.basicFourInfoFile) return undefined;
  try {
    return decodeBasicFourInfoFile(records.basicFourInfoFile).info;
  } catch {
    return undefined;
  }
}

/** `kenhojo.binding`: the record's 4 info are those of the verified signing certificate. */
function checkBinding(signer: JpkiIdentity | undefined, recorded: BasicFourInfo | undefined): CheckResult {
  if (!signer) return fail('kenhojo.binding', 'no verified signing certificate to bind the records to');
  if (!recorded) return fail('kenhojo.binding', 'the 基本4情報 EF was not presented or cannot be read');
  const certified = signer.basicFourInfo;
  const differing = (['name', 'address', 'birthDate', 'sex'] as const).filter((field) =>
    field === 'birthDate'
      ? formatIsoDate(recorded.birthDate) !== formatIsoDate(certified.birthDate)
      : recorded[field] !== certified[field],
  );
  return differing.length === 0
    ? pass('kenhojo.binding')
    : fail('kenhojo.binding', `the record and the signing certificate differ in ${differing.join(', ')}`);
}
