import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const AAD = 'openmyna-rp-demo/my-number:';

/** AES-256-GCM of the My Number, bound to its account number: IV ‖ ciphertext ‖ tag. */
export function sealMyNumber(key: Uint8Array, myNumber: string, accountNo: string): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(AAD + accountNo));
  const body = Buffer.concat([cipher.update(myNumber, 'utf8'), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/** Opens the sealed My Number (for the masked display and the firm's statutory reports). */
export function unsealMyNumberForDisplay(
  key: Uint8Array,
  account: { readonly my_number_sealed: Uint8Array; readonly account_no: string },
): string {
  const sealed = Buffer.from(account.my_number_sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(AAD + account.account_no));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
}
