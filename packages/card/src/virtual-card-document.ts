import { z } from 'zod';

import type { VirtualCardDocument } from './virtual-card.js';

const CardRecordIssuer = z.object({ cvCertificate: z.string(), signerKeyId: z.string() });

/**
 * A virtual card file (`openmyna-card/2`, {@link VirtualCardDocument}) as the issuer hands it out once at
 * the counter: what any reader may read in the clear, and the sealed `secrets`.
 *
 * @example
 * const document = VirtualCardDocumentSchema.parse(JSON.parse(text));
 */
export const VirtualCardDocumentSchema = z.object({
  format: z.literal('openmyna-card/2'),
  variant: z.enum(['card', 'phone']),
  personId: z.string(),
  municipalityCode: z.string(),
  expiry: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  tokenSerial: z.string(),
  jpki: z.object({
    signingIssued: z.boolean(),
    signingCaCertificate: z.string(),
    authenticationCertificate: z.string(),
    authenticationCaCertificate: z.string(),
  }),
  kenhojo: CardRecordIssuer,
  kenkaku: CardRecordIssuer,
  common: z.object({ serial: z.string() }),
  secrets: z.object({
    kdf: z.object({
      name: z.literal('PBKDF2'),
      hash: z.literal('SHA-256'),
      iterations: z.number().int(),
      salt: z.string(),
    }),
    cipher: z.object({ name: z.literal('AES-GCM'), iv: z.string() }),
    ciphertext: z.string(),
  }),
}) satisfies z.ZodType<VirtualCardDocument>;
