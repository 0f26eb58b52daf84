import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { formatIsoDate, parseIsoDate } from '@openmyna/core';
import { jsonBody } from '@openmyna/service';
import type { Env } from 'hono';

import { base64Field } from '../../errors.js';
import { createPerson, getPerson, updatePerson, type Person } from '../../registry.js';
import { errorResponses, IsoDate, PersonId, Revoked } from '../schemas.js';
import { issuerRouter, type IssuerRouteServices } from '../services.js';

const Sex = z.enum(['0', '1', '2', '9']);
const PersonCreate = z
  .object({
    id: PersonId.optional(),
    name: z.string().min(1).max(100).openapi({ example: '番号　花子' }),
    nameKana: z.string().min(1).max(100),
    address: z.string().min(1).max(200),
    birthDate: IsoDate.openapi({ example: '1980-02-17' }),
    sex: Sex.openapi({ description: 'ISO/IEC 5218' }),
    myNumber: z.string().regex(/^\d{12}$/),
    residentCode: z.string().regex(/^\d{11}$/),
    municipalityCode: z.string().regex(/^\d{5,6}$/),
    photo: z.string().max(200_000).openapi({ description: 'JPEG, base64' }),
  })
  .openapi('PersonCreate');
const PersonView = z
  .object({
    id: z.string(),
    name: z.string(),
    nameKana: z.string(),
    address: z.string(),
    birthDate: z.string(),
    sex: z.string(),
    municipalityCode: z.string(),
    myNumberLast4: z.string().openapi({ description: 'only the last four digits' }),
    version: z.number().int(),
  })
  .openapi('Person');
const PersonUpdate = z
  .object({
    name: z.string().min(1).max(100).optional(),
    nameKana: z.string().min(1).max(100).optional(),
    address: z.string().min(1).max(200).optional(),
    birthDate: IsoDate.optional(),
    sex: Sex.optional(),
    municipalityCode: z
      .string()
      .regex(/^\d{5,6}$/)
      .optional(),
    reason: z.string().min(1).max(200).openapi({ example: '転居届' }),
  })
  .openapi('PersonUpdate');

const createPersonRoute = createRoute({
  method: 'post',
  path: '/admin/persons',
  security: [{ admin: [] }],
  request: { body: jsonBody(PersonCreate) },
  responses: {
    201: { description: 'Registered', content: { 'application/json': { schema: z.object({ id: z.string() }) } } },
    ...errorResponses,
  },
});
const getPersonRoute = createRoute({
  method: 'get',
  path: '/admin/persons/{id}',
  security: [{ admin: [] }],
  request: { params: z.object({ id: PersonId }) },
  responses: {
    200: { description: 'The resident (My Number masked)', content: { 'application/json': { schema: PersonView } } },
    ...errorResponses,
  },
});
const updatePersonRoute = createRoute({
  method: 'patch',
  path: '/admin/persons/{id}',
  security: [{ admin: [] }],
  description:
    'A change of name, address, birth date or sex revokes every signing certificate of the person (card and phones) in the same transaction.',
  request: { params: z.object({ id: PersonId }), body: jsonBody(PersonUpdate) },
  responses: {
    200: {
      description: 'Updated; the revoked signing certificates',
      content: { 'application/json': { schema: Revoked } },
    },
    ...errorResponses,
  },
});

/** The resident as an administrator sees it: the My Number masked to its last four digits. */
function personView(person: Person): z.infer<typeof PersonView> {
  const { basicFourInfo: info } = person;
  return {
    id: person.id,
    name: info.name,
    nameKana: person.nameKana,
    address: info.address,
    birthDate: formatIsoDate(info.birthDate),
    sex: info.sex,
    municipalityCode: person.municipalityCode,
    myNumberLast4: person.myNumber.slice(-4),
    version: person.version,
  };
}

/** The resident registry (`/admin/persons`): register, read (masked) and change a person. */
export function personRoutes({ context, revocation }: IssuerRouteServices): OpenAPIHono<Env> {
  const app = issuerRouter();
  app.openapi(createPersonRoute, async (c) => {
    const { id, name, address, birthDate, sex, photo, ...rest } = c.req.valid('json');
    const input = {
      ...(id ? { id } : {}),
      basicFourInfo: { name, address, birthDate: parseIsoDate(birthDate), sex },
      nameKana: rest.nameKana,
      myNumber: rest.myNumber,
      residentCode: rest.residentCode,
      municipalityCode: rest.municipalityCode,
      photo: base64Field(photo, 'photo', 'ERR_PERSON_INVALID'),
    };
    return c.json({ id: await createPerson(context, input, 'admin') }, 201);
  });
  app.openapi(getPersonRoute, async (c) => c.json(personView(await getPerson(context, c.req.valid('param').id)), 200));
  app.openapi(updatePersonRoute, async (c) => {
    const { reason, ...changes } = c.req.valid('json');
    const definedChanges = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const { revoked } = await updatePerson(context, c.req.valid('param').id, definedChanges, 'admin', reason);
    revocation.invalidate('signing', revoked);
    return c.json({ revoked }, 200);
  });
  return app;
}
