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
const int = (extra = {}) => ({ type: 'integer', ...extra });
const bool = () => ({ type: 'boolean' });
const list = (items) => ({ type: 'array', items });
const queryParam = (name, schema = str()) => ({ name, in: 'query', required: false, schema });
const jsonBody = (schema) => ({ required: true, content: { 'application/json': { schema } } });
const answer = (status, schema) => ({ [status]: { description: 'OK', content: { 'application/json': { schema } } } });
const CHANNEL = str({ enum: ['sms', 'whatsapp', 'email', 'voice'] });
const LANGUAGE = str({ enum: ['en', 'hi', 'mr', 'ta', 'te', 'bn', 'kn'] });
const MESSAGE_STATUS = str({ enum: ['queued', 'sent', 'delivered', 'read', 'failed', 'blocked'] });

const schemas = {
  SandboxKit: obj({ member_id: str(), credentials: dict(str()), endpoint_url: str() }),

  // RISK-OPS.md, Channels (issue #15): the template preview, the message log, the channel settings.
  TemplatePreviewIn: obj(
    {
      channel: CHANNEL,
      body: str(),
      subject: nullable(str()),
      variables: dict(obj({ type: str(), max_length: int() })),
      language: LANGUAGE,
      values: dict(str()),
    },
    ['channel', 'body', 'variables', 'language'],
  ),
  TemplatePreview: obj({
    text: str(),
    subject: nullable(str()),
    segments: nullable(int()),
    encoding: { type: ['string', 'null'], enum: ['gsm7', 'ucs2', null] },
    errors: list(obj({ field: str(), message: str() })),
  }),
  MessageEvent: obj({ status: str(), at: str({ format: 'date-time' }), detail: nullable(str()) }),
  Message: obj({
    id: str(),
    status: MESSAGE_STATUS,
    blocked_by: nullable(str()),
    channel: str(),
    purpose: str(),
    template: str(),
    template_name: str(),
    template_version: int(),
    language: str(),
    loan_id: nullable(str()),
    borrower_id: str(),
    recipient: nullable(str()),
    recipient_role: str(),
    provider_message_id: nullable(str()),
    segments: nullable(int()),
    cost: nullable(str()),
    error_code: nullable(str()),
    error: nullable(str()),
    initiated_by: str(),
    created_by: nullable(str()),
    created_at: str({ format: 'date-time' }),
    sent_at: nullable(str({ format: 'date-time' })),
    delivered_at: nullable(str({ format: 'date-time' })),
    read_at: nullable(str({ format: 'date-time' })),
    history: list(ref('MessageEvent')),
  }),
  MessagePage: obj({ items: list(ref('Message')), total: int(), limit: int(), offset: int() }),
  MessageCreate: obj(
    {
      borrower_id: str(),
      loan_id: str(),
      channel: CHANNEL,
      template: str(),
      variables: dict(str()),
      language: LANGUAGE,
      recipient_role: str({ enum: ['borrower', 'guarantor', 'co_borrower', 'relative', 'colleague', 'reference', 'other'] }),
    },
    ['channel', 'template'],
  ),
  ChannelSettings: obj({
    channel: CHANNEL,
    configured: bool(),
    provider: nullable(str()),
    base_url: nullable(str()),
    account_sid: nullable(str()),
    api_key: nullable(str()),
    sender: nullable(str()),
    entity_id: nullable(str()),
    sms_type: nullable(str()),
    phone_number_id: nullable(str()),
    api_version: nullable(str()),
    caller_id: nullable(str()),
    host: nullable(str()),
    port: nullable(int()),
    username: nullable(str()),
    starttls: { type: ['boolean', 'null'] },
    from_address: nullable(str()),
    from_name: nullable(str()),
    tls_ca_pem: nullable(str()),
    timeout_ms: nullable(int()),
    unit_cost: nullable(str()),
    credentials: dict(nullable(str())),
    webhook_path: nullable(str()),
    updated_at: nullable(str({ format: 'date-time' })),
    updated_by: nullable(str()),
  }),
  ChannelSettingsWrite: obj(
    {
      base_url: nullable(str()),
      account_sid: nullable(str()),
      api_key: nullable(str()),
      sender: nullable(str()),
      entity_id: nullable(str()),
      sms_type: nullable(str()),
      phone_number_id: nullable(str()),
      api_version: nullable(str()),
      caller_id: nullable(str()),
      host: nullable(str()),
      port: nullable(int()),
      username: nullable(str()),
      starttls: { type: ['boolean', 'null'] },
      from_address: nullable(str()),
      from_name: nullable(str()),
      tls_ca_pem: nullable(str()),
      timeout_ms: nullable(int()),
      unit_cost: nullable(str()),
      api_token: str(),
      webhook_secret: str(),
      access_token: str(),
      app_secret: str(),
      verify_token: str(),
      password: str(),
    },
    [],
  ),
  ChannelTest: obj({ ok: bool(), latency_ms: int(), detail: str() }),
};

const paths = {
  // Demo/dev only (include_in_schema=False on the server): a simulator's UAT kit, in the shape
  // PUT …/bureaus/{bureau} takes.
  '/simulators/{bureau}/sandbox-credentials': {
    parameters: [pathParam('bureau')],
    get: op('getSandboxCredentials', { responses: ok(ref('SandboxKit')) }),
  },

  // RISK-OPS.md, Channels (issue #15), until the backend serves them.
  '/api/v1/tenants/{tenant}/templates/preview': {
    parameters: [pathParam('tenant')],
    post: op('previewTemplate', { requestBody: jsonBody(ref('TemplatePreviewIn')), responses: ok(ref('TemplatePreview')) }),
  },
  '/api/v1/tenants/{tenant}/messages': {
    parameters: [pathParam('tenant')],
    get: op('listMessages', {
      parameters: [
        queryParam('status', MESSAGE_STATUS),
        queryParam('channel', CHANNEL),
        queryParam('loan_id'),
        queryParam('borrower_id'),
        queryParam('limit', int()),
        queryParam('offset', int()),
      ],
      responses: ok(ref('MessagePage')),
    }),
    post: op('sendMessage', {
      parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: str() }],
      requestBody: jsonBody(ref('MessageCreate')),
      responses: answer(202, ref('Message')),
    }),
  },
  '/api/v1/tenants/{tenant}/messages/{message_id}': {
    parameters: [pathParam('tenant'), pathParam('message_id')],
    get: op('getMessage', { responses: ok(ref('Message')) }),
  },
  '/api/v1/tenants/{tenant}/channels/{channel}': {
    parameters: [pathParam('tenant'), { name: 'channel', in: 'path', required: true, schema: CHANNEL }],
    get: op('getChannelSettings', { responses: ok(ref('ChannelSettings')) }),
    put: op('putChannelSettings', { requestBody: jsonBody(ref('ChannelSettingsWrite')), responses: ok(ref('ChannelSettings')) }),
  },
  '/api/v1/tenants/{tenant}/channels/{channel}/test': {
    parameters: [pathParam('tenant'), { name: 'channel', in: 'path', required: true, schema: CHANNEL }],
    post: op('testChannel', { responses: ok(ref('ChannelTest')) }),
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
