import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { verifierEnvelope } from '../src/http/error-statuses.js';
import {
  seal,
  unseal,
  VERIFIER_ERROR_ANSWERS,
  VERIFIER_SERVICE_ERROR_CODES,
  VerifierServiceError,
  type VerifierServiceErrorCode,
} from '../src/index.js';

/** An app whose one route throws, answered through the verifier's envelope; and what it logged. */
function throwingApp(thrower: () => never) {
  const logged: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
  const app = new Hono();
  app.get('/', () => thrower());
  app.onError((error, c) => verifierEnvelope.handle(error, c, logger));
  return { app, logged };
}

describe('the verifier service error table', () => {
  it('has a row for every code of the union, and no other', () => {
    expect(Object.keys(VERIFIER_ERROR_ANSWERS).sort()).toEqual([...VERIFIER_SERVICE_ERROR_CODES].sort());
  });

  it.each(VERIFIER_SERVICE_ERROR_CODES.filter((code) => VERIFIER_ERROR_ANSWERS[code] !== 'internal'))(
    'answers %s with its status, its code and its message',
    async (code: VerifierServiceErrorCode) => {
      const { app } = throwingApp(() => {
        throw new VerifierServiceError(code, 'what was wrong');
      });
      const response = await app.request('/');
      expect(response.status).toBe(VERIFIER_ERROR_ANSWERS[code]);
      expect(await response.json()).toEqual({ error: { code, message: 'what was wrong' } });
    },
  );

  it('answers a sealed value that does not open with this key as the service’s own fault: 500, detail only in the log', async () => {
    const sealed = seal(new Uint8Array(32).fill(1), 'presentation-claims', new TextEncoder().encode('{}'));
    const { app, logged } = throwingApp(() => {
      unseal(new Uint8Array(32).fill(2), 'presentation-claims', sealed);
      throw new Error('unreachable: the value opened under another key');
    });
    const response = await app.request('/');
    expect(VERIFIER_ERROR_ANSWERS.ERR_SEALED).toBe('internal');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'the verifier could not complete the request' },
    });
    expect(logged.join('')).toContain('"code":"ERR_SEALED"');
  });
});
