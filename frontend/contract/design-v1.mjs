// DESIGN.md §5 ("Public contract (v1)") transcribed as OpenAPI, for routes the backend does not
// declare in its own /openapi.json. scripts/gen-api.mjs merges it UNDER the server's document: a
// path the server declares always takes the server's definition, so a page written against the
// contract switches to the real, generated types the moment its route lands (the generator names
// entries that became redundant). Every page was first built this way; all of §5 has since landed
// except the simulators' sandbox kit, which the server deliberately keeps out of its schema.
// Component names are prefixed `Contract` so they never collide with the server's.

const str = (extra = {}) => ({ type: 'string', ...extra });
const ref = (name) => ({ $ref: `#/components/schemas/Contract${name}` });
const obj = (properties, required = Object.keys(properties)) => ({ type: 'object', properties, required });
const dict = (values = {}) => ({ type: 'object', additionalProperties: values });
const pathParam = (name) => ({ name, in: 'path', required: true, schema: str() });
const ok = (schema) => ({ 200: { description: 'OK', content: { 'application/json': { schema } } } });
const op = (operationId, spec) => ({ operationId, tags: ['contract'], ...spec });

const schemas = {
  SandboxKit: obj({ member_id: str(), credentials: dict(str()), endpoint_url: str() }),
};

const paths = {
  // Demo/dev only (include_in_schema=False on the server): a simulator's UAT kit, in the shape
  // PUT …/bureaus/{bureau} takes.
  '/simulators/{bureau}/sandbox-credentials': {
    parameters: [pathParam('bureau')],
    get: op('getSandboxCredentials', { responses: ok(ref('SandboxKit')) }),
  },
};

// Schemas the server's document references without defining (a dangling $ref breaks generation).
// Used only while the server's own document lacks them.
const fallbacks = {
  LoginIn: obj({ email: str(), password: str() }),
};

export const contract = {
  fallbacks,
  components: {
    schemas: Object.fromEntries(Object.entries(schemas).map(([k, v]) => [`Contract${k}`, v])),
  },
  paths,
};
