import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '@openmyna/service';
import type { Counter } from 'prom-client';

import type { VerifierContext } from '../context.js';
import type { RelyingParty } from '../relying-parties.js';
import type { PresentationServices } from '../services.js';
import { verifierEnvelope } from './error-statuses.js';
import type { VerifierAppOptions } from './options.js';

/** The request variables of the verifier's routes: the relying party an API key authenticated. */
export type VerifierEnv = { Variables: { party: RelyingParty } };

/** What every group of routes runs with. */
export interface RouteDeps {
  readonly context: VerifierContext;
  readonly options: VerifierAppOptions;
  readonly services: PresentationServices;
  /** `verifier_verifications_total` by kind and result. */
  readonly verifications: Counter<'kind' | 'result'>;
}

/** A group of routes, validated into the verifier's error envelope; mounted with `app.route('/', …)`. */
export const routeGroup = () => new OpenAPIHono<VerifierEnv>({ defaultHook: validationHook(verifierEnvelope) });
