import { CardError } from '@openmyna/card';
import { CoreError } from '@openmyna/core';
import { MdocError } from '@openmyna/mdoc';
import { PkiError } from '@openmyna/pki';
import { Hono } from 'hono';
import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { IssuerError, type IssuerErrorCode } from '../src/errors.js';
import { handleError, ISSUER_ERROR_STATUSES } from '../src/http/error-envelope.js';

/** Codes that mean the issuer's own keys or data are wrong: a bare 500, detail in the log only. */
const INTERNAL: readonly IssuerErrorCode[] = ['ERR_REGISTRY_KEY'];

const answer = async (error: unknown) => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const app = new Hono();
  app.get('/boom', () => {
    throw error;
  });
  app.onError((thrown, c) => handleError(thrown, c, logger));
  const response = await app.request('/boom');
  return {
    status: response.status,
    body: (await response.json()) as { error: { code: string; message: string } },
    log: lines.join('\n'),
  };
};

describe('the error table', () => {
  it('has a row for every issuer code, a client status unless the code is internal', () => {
    for (const [code, status] of Object.entries(ISSUER_ERROR_STATUSES)) {
      if (INTERNAL.includes(code as IssuerErrorCode)) expect(status, code).toBe('internal');
      else expect(status, code).not.toBe('internal');
      // ERR_SECURE_AREA_BUSY is the one 5xx: a retry shortly succeeds (503).
      if (status !== 'internal' && status >= 500) expect(code).toBe('ERR_SECURE_AREA_BUSY');
    }
  });

  it('answers each issuer code with its own status and message, and an internal one with a bare 500', async () => {
    for (const [code, status] of Object.entries(ISSUER_ERROR_STATUSES)) {
      const { status: answered, body } = await answer(new IssuerError(code as IssuerErrorCode, `because of ${code}`));
      if (status === 'internal') {
        expect(answered, code).toBe(500);
        expect(body.error).toEqual({ code: 'ERR_INTERNAL', message: 'the issuer could not complete the request' });
      } else {
        expect(answered, code).toBe(status);
        expect(body.error).toEqual({ code, message: `because of ${code}` });
      }
    }
  });

  it('answers a code of the packages it calls (card, pki, mdoc, core) as internal: 500, detail in the log only', async () => {
    for (const error of [
      new CardError('ERR_PIN_FORMAT', 'card detail'),
      new PkiError('ERR_DER_MALFORMED', 'pki detail'),
      new MdocError('ERR_CBOR_MALFORMED', 'mdoc detail'),
      new CoreError('ERR_BASE64', 'core detail'),
    ]) {
      const { status, body, log } = await answer(error);
      expect(status, error.code).toBe(500);
      expect(body.error.code).toBe('ERR_INTERNAL');
      expect(JSON.stringify(body)).not.toContain('detail');
      expect(log).toContain(error.code);
    }
  });
});
