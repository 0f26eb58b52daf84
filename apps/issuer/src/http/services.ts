import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '@openmyna/service';
import type { Env } from 'hono';

import type { IssuerContext } from '../context.js';
import type { MdocStatusPublisher } from '../mdoc-status.js';
import type { ProvisioningAuthorities } from '../provisioning.js';
import type { RevocationServices } from '../revocation-services.js';
import { envelope } from './error-envelope.js';
import type { IssuerAppOptions } from './options.js';

/** What the routes of the issuer share: made once per app by `createIssuerApp`. */
export interface IssuerRouteServices {
  readonly context: IssuerContext;
  readonly options: IssuerAppOptions;
  readonly revocation: RevocationServices;
  readonly mdocStatus: MdocStatusPublisher;
  readonly provisioning: ProvisioningAuthorities;
}

/**
 * Drops `serials` (a phone's certificates, in both hierarchies) and the status list from this
 * instance's caches, so that a phone's ended or suspended credentials answer so at once.
 */
export function invalidatePhoneCredentials(services: IssuerRouteServices, serials: readonly string[]): void {
  for (const hierarchy of ['signing', 'authentication'] as const) services.revocation.invalidate(hierarchy, serials);
  services.mdocStatus.invalidate();
}

/** A sub-app of the issuer's routes, mounted with `app.route('/', …)`: request validation answers the envelope. */
export function issuerRouter(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({ defaultHook: validationHook(envelope) });
}
