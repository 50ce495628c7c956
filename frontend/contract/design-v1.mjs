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
const nullable = (schema) => ({ ...schema, type: [schema.type, 'null'] });
const int = () => ({ type: 'integer' });
const list = (items) => ({ type: 'array', items });
const jsonBody = (schema) => ({ required: true, content: { 'application/json': { schema } } });
const answer = (status, schema) => ({ [status]: { description: 'OK', content: { 'application/json': { schema } } } });
const LANGUAGE = str({ enum: ['en', 'hi', 'mr', 'ta', 'te', 'bn', 'kn'] });

const schemas = {
  SandboxKit: obj({ member_id: str(), credentials: dict(str()), endpoint_url: str() }),

  // RISK-OPS.md, Borrowers (issue #15): sign-in by one-time code and the borrower's own accounts.
  CodeRequest: obj({ tenant: str(), phone: str(), language: LANGUAGE }, ['tenant', 'phone']),
  CodeRequested: obj({ detail: str(), expires_in: int() }),
  CodeCheck: obj({ tenant: str(), phone: str(), code: str() }),
  SessionRefresh: obj({ refresh_token: str() }),
  BorrowerTokens: obj({ access_token: str(), refresh_token: str(), token_type: str(), expires_in: int() }),
  BorrowerAccount: obj({
    id: str(),
    external_ref: nullable(str()),
    purpose: nullable(str()),
    status: str({ enum: ['active', 'closed', 'not_disbursed'] }),
    as_of: str({ format: 'date' }),
    principal: str(),
    annual_rate_pct: str(),
    tenure_months: int(),
    emi: str(),
    disbursed_on: str({ format: 'date' }),
    maturity_on: str({ format: 'date' }),
    outstanding_principal: str(),
    overdue_amount: str(),
    next_due_on: nullable(str({ format: 'date' })),
    next_due_amount: nullable(str()),
    dpd: int(),
    rbi_class: nullable(str()),
    rbi_class_label: nullable(str()),
    standing: str(),
  }),
  BorrowerAccounts: obj({ items: list(ref('BorrowerAccount')) }),
};

const paths = {
  // Demo/dev only (include_in_schema=False on the server): a simulator's UAT kit, in the shape
  // PUT …/bureaus/{bureau} takes.
  '/simulators/{bureau}/sandbox-credentials': {
    parameters: [pathParam('bureau')],
    get: op('getSandboxCredentials', { responses: ok(ref('SandboxKit')) }),
  },

  // RISK-OPS.md, Borrowers (issue #15), until the backend serves them.
  '/api/v1/borrower-auth/otp': {
    post: op('requestBorrowerCode', { requestBody: jsonBody(ref('CodeRequest')), responses: answer(202, ref('CodeRequested')) }),
  },
  '/api/v1/borrower-auth/verify': {
    post: op('verifyBorrowerCode', { requestBody: jsonBody(ref('CodeCheck')), responses: ok(ref('BorrowerTokens')) }),
  },
  '/api/v1/borrower-auth/refresh': {
    post: op('refreshBorrowerSession', { requestBody: jsonBody(ref('SessionRefresh')), responses: ok(ref('BorrowerTokens')) }),
  },
  '/api/v1/borrower-auth/logout': {
    post: op('signOutBorrower', { requestBody: jsonBody(ref('SessionRefresh')), responses: { 204: { description: 'Signed out' } } }),
  },
  '/api/v1/me/accounts': {
    get: op('listMyAccounts', { responses: ok(ref('BorrowerAccounts')) }),
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
