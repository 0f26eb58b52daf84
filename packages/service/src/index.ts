export { errorEnvelope, type ErrorEnvelope, type ErrorEnvelopeHandlers, type JsonContext } from './error-envelope.js';
export { bearerToken, secretsEqual, tokenDigest } from './tokens.js';
export {
  AuthenticationFailures,
  canonicalAddress,
  clientAddress,
  perSourceLimit,
  RateLimiter,
  rateLimited,
  sourceAddress,
  sourceOf,
  trustedProxySet,
  type TrustedProxies,
} from './rate-limit.js';
export {
  DEFAULT_BODY_LIMIT,
  installRequestGuard,
  jsonBodyProblem,
  urlProblem,
  MAX_JSON_DEPTH,
  type BodyLimits,
} from './request-guard.js';
export { installServiceBasics, jsonBody, registerHealth, validationHook } from './basics.js';
