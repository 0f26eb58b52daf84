export { errorEnvelope, type ErrorEnvelope, type ErrorEnvelopeHandlers, type JsonContext } from './error-envelope.js';
export { bearerToken, secretsEqual, tokenDigest } from './tokens.js';
export { ServiceError, type ServiceErrorCode } from './errors.js';
export { connectRedis, redisScript, type RedisConnectOptions, type RedisScript } from './redis.js';
export { RedisTokenBuckets, redisTokenBuckets, waitSecondsOf } from './redis-token-buckets.js';
export {
  AuthenticationFailures,
  memoryTokenBuckets,
  canonicalAddress,
  clientAddress,
  perSourceLimit,
  RateLimiter,
  rateLimited,
  sourceAddress,
  sourceOf,
  trustedProxySet,
  type TokenBucketFactory,
  type TokenBucketOptions,
  type TokenBuckets,
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
