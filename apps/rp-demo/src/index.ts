export {
  createRpDemoApp,
  maskMyNumber,
  unsealMyNumberForDisplay,
  type RpDemoOptions,
  type VerifierAccess,
} from './app.js';
export { RP_DEMO_MIGRATIONS, type AccountTable, type ApplicationTable, type RpDemoSchema } from './storage.js';
