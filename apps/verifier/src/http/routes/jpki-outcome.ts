import { z } from '@hono/zod-openapi';
import type { CheckResult, VerificationSummary } from '@openmyna/pki';
import type { VerificationRecord } from '@openmyna/verifier';

import { CheckResultSchema, VerificationRecordSchema } from '../../result-schemas.js';

/** What every JPKI verification answers: the status, the deciding check, every check, the record. */
const outcomeFields = {
  status: z.enum(['valid', 'invalid', 'status-unknown']),
  decidedBy: CheckResultSchema.optional(),
  checks: z.array(CheckResultSchema).readonly(),
  record: VerificationRecordSchema,
};

/** `POST /v1/jpki/signatures/verify`: the outcome and the signer's 4 info. */
export const JpkiSignatureOutcomeSchema = z
  .object({
    ...outcomeFields,
    signer: z
      .object({ name: z.string(), address: z.string(), birthDate: z.string(), sex: z.string() })
      .optional()
      .openapi({ description: 'the 4 info of the signing certificate' }),
  })
  .openapi('JpkiSignatureOutcome');

/** `POST /v1/jpki/login/verify`: the outcome and the pairwise subject identifier. */
export const JpkiLoginOutcomeSchema = z
  .object({
    ...outcomeFields,
    subject: z.string().optional().openapi({ description: 'stable and pairwise for this relying party' }),
  })
  .openapi('JpkiLoginOutcome');

/** A JPKI verification's summary and record, as the API answers them. */
export function outcomeOf(result: VerificationSummary & { readonly record: VerificationRecord }): {
  status: VerificationSummary['status'];
  decidedBy?: CheckResult;
  checks: readonly CheckResult[];
  record: VerificationRecord;
} {
  return {
    status: result.status,
    ...(result.decidedBy ? { decidedBy: result.decidedBy } : {}),
    checks: result.checks,
    record: result.record,
  };
}
