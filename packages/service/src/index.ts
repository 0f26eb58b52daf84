export { errorEnvelope, type ErrorEnvelope, type ErrorEnvelopeHandlers, type JsonContext } from './error-envelope.js';
export { bearerToken, secretsEqual, tokenDigest } from './tokens.js';
export { RateLimiter } from './rate-limit.js';
export { installServiceBasics, jsonBody, registerHealth, validationHook } from './basics.js';
