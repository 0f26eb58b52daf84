export { createRpDemoApp, type RpDemoDeps, type RpDemoOptions } from './app.js';
export type { RpDemoOidcOptions } from './oidc/relying-party.js';
export { COUNTER_ELEMENTS, type CounterPerson } from './counter.js';
export { maskMyNumber, refusalText } from './refusals.js';
export { unsealMyNumberForDisplay } from './sealing.js';
export { createShopDemoApp } from './shop.js';
export { verifierClient, VerifierRefusal, type VerifierAccess, type VerifierView } from './verifier-client.js';
export {
  RP_DEMO_MIGRATIONS,
  type AccountTable,
  type ApplicationTable,
  type CounterCheckTable,
  type PhoneRequestTable,
  type RpDemoSchema,
  type WebSessionTable,
} from './storage.js';
