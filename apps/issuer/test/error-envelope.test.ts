import { Hono } from 'hono';
import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { handleError } from '../src/http/error-envelope.js';

describe('the error envelope', () => {
  it('answers an unexpected error with a bare 500 and logs no driver detail (regression: PostgreSQL detail quotes row values)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const app = new Hono();
    app.get('/boom', () => {
      throw Object.assign(new Error('duplicate key value violates unique constraint "persons_my_number_key"'), {
        code: '23505',
        detail: 'Key (my_number)=(123456789018) already exists.',
      });
    });
    app.onError((error, c) => handleError(error, c, logger));
    const response = await app.request('/boom');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'the issuer could not complete the request' },
    });
    expect(lines.join('\n')).toContain('23505');
    expect(lines.join('\n')).not.toContain('123456789018');
  });
});
