import { z } from '@hono/zod-openapi';
import { VERIFICATION_METHODS, type VerificationRecord } from '@openmyna/verifier';

/**
 * The verification results the service hands to relying parties, each defined once: the service builds
 * them to these types, reads its stored copies back through them, and its OpenAPI document describes
 * them with the same schemas.
 */

const CHECK_STATUS = z.enum(['pass', 'fail', 'unknown', 'skip']);
const RESULT_STATUS = z.enum(['valid', 'invalid', 'status-unknown']);

/** One named check (STYLE.md 8) as results carry it. */
export const CheckResultSchema = z
  .object({ check: z.string(), status: CHECK_STATUS, reason: z.string().optional() })
  .openapi('CheckResult');

/** The verifier SDK's `VerificationRecord`, as the wire carries it: how, when, with what, the outcome. */
export const VerificationRecordSchema = z
  .object({
    method: z.enum(VERIFICATION_METHODS),
    legalBasis: z.string().optional(),
    verifiedAt: z.string(),
    result: RESULT_STATUS,
    decidedBy: z.string().optional(),
    checks: z.array(z.object({ check: z.string(), status: z.string() })).readonly(),
    certificate: z.object({ serialNumber: z.string(), issuer: z.string(), notAfter: z.string() }).optional(),
    revocation: z.enum(['ocsp', 'ocsp-cache', 'crl', 'none', 'not-checked']).optional(),
    subject: z
      .object({ name: z.string(), address: z.string(), birthDate: z.string(), sex: z.string() })
      .optional()
      .openapi({ description: 'the 4 info established, only in a valid result' }),
    documentDigest: z.string().optional(),
    disclosed: z.array(z.string()).readonly().optional().openapi({ description: 'element identifiers, never values' }),
  })
  .openapi('VerificationRecord');

/** The verification result of a presentation as a relying party reads it: never salts or signatures. */
export const PresentationResultSchema = z
  .object({
    status: RESULT_STATUS,
    decidedBy: z.object({ check: z.string(), reason: z.string().optional() }).optional(),
    checks: z
      .array(z.object({ check: z.string(), status: z.string() }))
      .readonly()
      .openapi({
        description: 'every named check of every credential, in order',
      }),
    records: z
      .array(VerificationRecordSchema)
      .readonly()
      .openapi({ description: 'one record per credential presented' }),
  })
  .openapi('PresentationResult');
export type PresentationResult = z.output<typeof PresentationResultSchema>;

/**
 * An answer the verifier did not accept, as the relying party sees it on its still-open request: when,
 * and which check decided. A hint, not a verdict: a wallet's refusal is unsigned, and anyone who saw the
 * QR code could have sent it.
 */
export const PresentationRejectionSchema = z
  .object({ at: z.string(), check: z.string(), reason: z.string() })
  .openapi('PresentationRejection');
export type PresentationRejection = z.output<typeof PresentationRejectionSchema>;

const PRESENTATION_STATUS = z.enum(['pending', 'processing', 'completed', 'failed']);
const CLAIMS = z
  .record(z.string(), z.record(z.string(), z.unknown()))
  .openapi({ description: 'the disclosed values by namespace or credential id: once, after a valid answer' });

/** A presentation as its relying party reads it (`GET /v1/presentations/{id}`). */
export const PresentationViewSchema = z
  .object({
    id: z.string(),
    status: PRESENTATION_STATUS,
    result: PresentationResultSchema.optional(),
    claims: CLAIMS.optional(),
    claimsFetchedAt: z.string().optional(),
    rejectedAnswers: z.number().int().optional(),
    lastRejection: PresentationRejectionSchema.optional(),
  })
  .openapi('Presentation');
export type PresentationView = z.output<typeof PresentationViewSchema>;

/** An in-person session as its relying party reads it: the shape of a presentation, with its expiry. */
export const ProximityViewSchema = z
  .object({
    id: z.string(),
    status: PRESENTATION_STATUS,
    expiresAt: z.string(),
    result: PresentationResultSchema.optional(),
    claims: CLAIMS.optional(),
    claimsFetchedAt: z.string().optional(),
  })
  .openapi('ProximitySession');
export type ProximityView = z.output<typeof ProximityViewSchema>;

/** A stored result, read back through its schema: a row that does not hold one is the service's fault. */
export function parseStoredResult(json: string): PresentationResult {
  return PresentationResultSchema.parse(JSON.parse(json));
}

// The SDK's VerificationRecord and this schema describe the same structure: the build fails if they part.
type RecordFitsSchema = VerificationRecord extends z.output<typeof VerificationRecordSchema> ? true : false;
type WireRecord = z.output<typeof VerificationRecordSchema>;
type SchemaFitsRecord = [keyof WireRecord] extends [keyof VerificationRecord]
  ? [keyof VerificationRecord] extends [keyof WireRecord]
    ? true
    : false
  : false;
const _recordFitsSchema: RecordFitsSchema = true;
const _schemaFitsRecord: SchemaFitsRecord = true;
