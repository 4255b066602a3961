/**
 * The OpenAPI 3.1 document of API v1 (SPEC 23). It is the source of truth for input: every
 * operation's body and query are validated against the schemas below before a handler runs
 * (see validate.ts), and the tests validate every response against it.
 */
import { ROLES } from '../portal/permissions.js';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const nullable = (s: Schema): Schema => ({ ...s, type: [s.type as string, 'null'] });
const dateTime = str({ format: 'date-time' });
const day = str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const limit = { type: 'integer', minimum: 1, maximum: 1_000_000_000_000 };
const text = (max: number) => str({ minLength: 1, maxLength: max });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties), extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const itemsOf = (name: string): Schema => obj({ items: { type: 'array', items: ref(name) } });

const schemas: Record<string, Schema> = {
  Error: obj({ error: obj({ code: str(), message: str() }) }),
  Customer: obj({
    name: str({ description: 'Company_Name-UniqueAccountID' }),
    company: str(),
    accountId: str(),
    prospect: { type: 'boolean' },
    createdAt: dateTime,
  }),
  CustomerPage: obj({
    items: { type: 'array', items: ref('Customer') },
    next: nullable(str({ description: 'Pass as `after` for the next page; null on the last page.' })),
  }),
  NewCustomer: obj({ company: text(200), accountId: text(64), prospect: { type: 'boolean' } }, ['company', 'accountId']),
  Subscription: obj({
    id: str(),
    account: str(),
    plan: str(),
    ends: day,
    users: nullable({ type: 'integer' }),
    loc: nullable({ type: 'integer' }),
    edition: str(),
    productionServerId: nullable(str()),
    crmSubscriptionId: nullable(str()),
    hostedServices: { type: 'boolean' },
    archivedAt: nullable(dateTime),
    archiveReason: nullable(str()),
    createdAt: dateTime,
  }),
  SubscriptionList: itemsOf('Subscription'),
  NewSubscription: obj({ account: text(255), plan: text(64), ends: day, users: limit, loc: limit, edition: text(64), crmSubscriptionId: text(64) }, [
    'account',
    'plan',
    'ends',
  ]),
  Renewal: obj({ ends: day, users: limit, loc: limit }, ['ends']),
  Archive: obj({ reason: text(500) }),
  Archived: obj({ subscription: ref('Subscription'), revoked: { type: 'array', items: str() } }),
  License: obj({
    lid: str(),
    subscription: nullable(str()),
    account: str(),
    type: str(),
    emergency: { type: 'boolean' },
    serverId: str(),
    claims: { type: 'object', description: 'The signed claims (SPEC 3).' },
    key: str({ description: 'The license key text.' }),
    exp: dateTime,
    grace: { type: 'integer' },
    issuedBy: str(),
    issuedAt: dateTime,
    ticket: nullable(str()),
    emailTo: nullable(str()),
    emailOutcome: nullable(str()),
    opportunityId: nullable(str()),
    revokedAt: nullable(dateTime),
    revokeReason: nullable(str()),
    revokedBy: nullable(str()),
    status: str({ enum: ['active', 'expired', 'revoked'] }),
  }),
  LicenseList: itemsOf('License'),
  NewLicense: obj(
    {
      serverId: text(255),
      type: str({ enum: ['production', 'staging'] }),
      features: { type: 'array', items: text(64), maxItems: 100 },
      tags: { type: 'array', items: text(64), maxItems: 100 },
      users: nullable(limit),
      loc: nullable(limit),
      expires: day,
      opportunityId: text(64),
    },
    ['serverId'],
  ),
  LicenseRequest: obj(
    {
      id: str(),
      subscription: str(),
      request: { type: 'object' },
      status: str({ enum: ['pending', 'issued'] }),
      requestedBy: str(),
      requestedAt: dateTime,
      decidedBy: nullable(str()),
      decidedAt: nullable(dateTime),
      lid: nullable(str()),
    },
    undefined,
    { description: 'A key for a prospect account, waiting for a sales approval in the portal.' },
  ),
  Revoke: obj({ reason: text(500) }),
  Revocation: obj({ lid: str(), reason: str(), issuedBy: str(), at: dateTime }),
  NewEmergency: obj({ account: text(255), users: { type: 'integer', minimum: 1, maximum: 1_000_000 }, email: text(254), ticket: text(200) }),
  Emergency: obj({ license: ref('License'), emailed: { type: 'boolean' } }),
  Move: obj({
    id: str(),
    subscription: str(),
    account: str(),
    oldServerId: str(),
    newServerId: str(),
    oldInstanceKeyId: str(),
    newInstanceKeyId: str(),
    lidInForce: nullable(str()),
    reason: str(),
    movedAt: dateTime,
    requestedAt: dateTime,
    importedAt: dateTime,
    importedBy: str(),
    status: str({ enum: ['issued', 'waiting'] }),
    whyWaiting: nullable(str()),
    decidedBy: nullable(str()),
    decidedAt: nullable(dateTime),
    lid: nullable(str()),
  }),
  MoveList: itemsOf('Move'),
  MoveRequest: obj({ request: str({ minLength: 1, maxLength: 100_000, description: "The move request (.jws) the customer's instance wrote." }) }),
  MoveImport: obj(
    {
      move: ref('Move'),
      license: { oneOf: [ref('License'), { type: 'null' }] },
      duplicate: { type: 'boolean' },
    },
    undefined,
    { description: 'Within the move budget the key for the new server ID is issued at once (license); beyond it the move waits for an engineer.' },
  ),
  UsageReport: obj({ report: str({ minLength: 1, maxLength: 1_000_000, description: 'The usage report file as the instance wrote it.' }) }),
  UsageImport: obj({
    subscription: str(),
    serverId: str(),
    seq: { type: 'integer' },
    period: obj({ from: str(), to: str() }),
    instanceKeyId: str(),
    pinned: { type: 'boolean' },
    duplicate: { type: 'boolean' },
    warnings: { type: 'array', items: str() },
  }),
  UsageSummary: obj({
    subscription: str(),
    serverId: nullable(str()),
    instanceKeyId: nullable(str()),
    months: {
      type: 'array',
      items: obj({
        month: str(),
        peakLoc: { type: 'integer' },
        peakUsers: { type: 'integer' },
        limitLoc: nullable({ type: 'integer' }),
        limitUsers: nullable({ type: 'integer' }),
        overLoc: { type: 'integer' },
        overUsers: { type: 'integer' },
      }),
    },
    reports: {
      type: 'array',
      items: obj({
        seq: { type: 'integer' },
        period: obj({ from: str(), to: str() }),
        generatedAt: dateTime,
        importedAt: dateTime,
        warnings: { type: 'array', items: str() },
      }),
    },
    missing: { type: 'array', items: { type: 'integer' } },
    extensions: {
      type: 'array',
      description: 'The self-service extensions (SPEC 22) the reports list, each once, oldest first.',
      items: obj({
        lid: str(),
        serverId: str(),
        use: { type: 'integer', minimum: 1, maximum: 3 },
        days: { type: 'integer', minimum: 1, maximum: 30 },
        at: dateTime,
        until: dateTime,
        actor: str(),
        reportSeq: { type: 'integer' },
      }),
    },
  }),
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const json = (description: string, schema: string) => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const body = (schema: string) => ({ required: true, content: { 'application/json': { schema: ref(schema) } } });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: text(255) });
const queryParam = (name: string, schema: Schema, description: string) => ({ name, in: 'query', required: false, description, schema });

/** Every refusal an authenticated operation can give, on top of its own. */
const common = {
  '400': errorResponse('VALIDATION_FAILED: the body or query does not match this document; the message names the field.'),
  '401': errorResponse('API_TOKEN_INVALID'),
  '403': errorResponse("FORBIDDEN: the token's role does not hold the operation's permission."),
};
const notFound = { '404': errorResponse('NOT_FOUND: no customer, subscription or license of that name or ID.') };
const conflict = (what: string) => ({ '409': errorResponse(what) });

const op = (o: { id: string; summary: string; permission: string; params?: unknown[]; body?: string; responses: Record<string, unknown> }) => ({
  operationId: o.id,
  summary: o.summary,
  'x-permission': o.permission,
  description: `Needs the permission \`${o.permission}\` (roles: see the portal's permission table).`,
  ...(o.params ? { parameters: o.params } : {}),
  ...(o.body ? { requestBody: body(o.body) } : {}),
  responses: { ...o.responses, ...common },
});

const account = pathParam('account', 'The account name, Company_Name-UniqueAccountID.');
const subscription = pathParam('id', 'The subscription ID.');
const lid = pathParam('lid', 'The license ID.');

/** The document, built once. `x-permission` on each operation is what the route guard checks. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'License Manager vendor API',
    version: '1.0.0',
    description:
      'Automation for the vendor registry: the same operations and the same rules as the portal pages. Every request carries ' +
      "`Authorization: Bearer <token>` with a token an admin made (`license-manager vendor token add` or the portal's API tokens page); " +
      'the token acts with its role and is named in the audit log as `token:NAME`. Errors are `{ "error": { "code", "message" } }`.',
  },
  servers: [{ url: '/api/v1', description: 'Relative to the portal.' }],
  security: [{ bearer: [] }],
  paths: {
    '/customers': {
      get: op({
        id: 'listCustomers',
        summary: 'Customers by company, one page at a time, with a search',
        permission: 'read',
        params: [
          queryParam('q', str({ maxLength: 100 }), 'Part of the company, the account name or the account ID.'),
          queryParam('after', str({ maxLength: 400 }), 'The `next` of the previous page.'),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }, 'Page size.'),
        ],
        responses: { '200': json('One page of customers.', 'CustomerPage') },
      }),
      post: op({
        id: 'createCustomer',
        summary: 'Add a customer (the same company and ID again returns it)',
        permission: 'customers.write',
        body: 'NewCustomer',
        responses: { '201': json('The customer.', 'Customer') },
      }),
    },
    '/customers/{account}': {
      get: op({
        id: 'getCustomer',
        summary: 'One customer',
        permission: 'read',
        params: [account],
        responses: { '200': json('The customer.', 'Customer'), ...notFound },
      }),
    },
    '/customers/{account}/subscriptions': {
      get: op({
        id: 'listCustomerSubscriptions',
        summary: "A customer's subscriptions",
        permission: 'read',
        params: [account],
        responses: { '200': json('The subscriptions.', 'SubscriptionList'), ...notFound },
      }),
    },
    '/subscriptions': {
      post: op({
        id: 'createSubscription',
        summary: 'Add a subscription to a customer',
        permission: 'customers.write',
        body: 'NewSubscription',
        responses: { '201': json('The subscription.', 'Subscription'), ...notFound },
      }),
    },
    '/subscriptions/{id}': {
      get: op({
        id: 'getSubscription',
        summary: 'One subscription',
        permission: 'read',
        params: [subscription],
        responses: { '200': json('The subscription.', 'Subscription'), ...notFound },
      }),
    },
    '/subscriptions/{id}/renew': {
      post: op({
        id: 'renewSubscription',
        summary: 'A new contract end (and limits) for the same subscription',
        permission: 'customers.write',
        params: [subscription],
        body: 'Renewal',
        responses: { '200': json('The renewed subscription.', 'Subscription'), ...notFound },
      }),
    },
    '/subscriptions/{id}/archive': {
      post: op({
        id: 'archiveSubscription',
        summary: 'Archive a subscription and revoke its licenses with the reason',
        permission: 'licenses.revoke',
        params: [subscription],
        body: 'Archive',
        responses: { '200': json('The archived subscription and the licenses revoked.', 'Archived'), ...notFound },
      }),
    },
    '/subscriptions/{id}/licenses': {
      post: op({
        id: 'issueLicense',
        summary: "Issue a license (users, LOC and expiry default to the subscription's)",
        permission: 'licenses.issue',
        params: [subscription],
        body: 'NewLicense',
        responses: {
          '201': json('The issued license with its key.', 'License'),
          '202': json('The account is a prospect: the key waits for a sales approval.', 'LicenseRequest'),
          ...notFound,
          ...conflict('SUBSCRIPTION_INSTANCE_TAKEN: the subscription already has another production instance.'),
        },
      }),
    },
    '/subscriptions/{id}/usage': {
      get: op({
        id: 'getUsage',
        summary: "The subscription's usage: each month's peak, limit and true-up overage",
        permission: 'read',
        params: [subscription],
        responses: { '200': json('The usage summary.', 'UsageSummary'), ...notFound },
      }),
    },
    '/licenses': {
      get: op({
        id: 'listLicenses',
        summary: 'Licenses, newest first: all, of an account or of a subscription',
        permission: 'read',
        params: [
          queryParam('account', str({ maxLength: 255 }), "Only this account's."),
          queryParam('subscription', str({ maxLength: 64 }), "Only this subscription's."),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, 'At most this many.'),
        ],
        responses: { '200': json('The licenses.', 'LicenseList'), ...notFound },
      }),
    },
    '/licenses/{lid}': {
      get: op({
        id: 'getLicense',
        summary: 'One license with its key and status',
        permission: 'read',
        params: [lid],
        responses: { '200': json('The license.', 'License'), ...notFound },
      }),
    },
    '/licenses/{lid}/revoke': {
      post: op({
        id: 'revokeLicense',
        summary: 'Revoke a license with a reason (again: the first revocation stays)',
        permission: 'licenses.revoke',
        params: [lid],
        body: 'Revoke',
        responses: { '200': json('The revocation.', 'Revocation'), ...notFound },
      }),
    },
    '/emergency-licenses': {
      post: op({
        id: 'issueEmergencyLicense',
        summary: 'A 10-day emergency license (SPEC 11); refusals say which rule',
        permission: 'emergency.issue',
        body: 'NewEmergency',
        responses: {
          '201': json('The emergency license and whether it was emailed.', 'Emergency'),
          ...notFound,
          ...conflict('EMERGENCY_NOT_ELIGIBLE: the account is a prospect, not on a paid plan, or not within 3 days of its grace end.'),
        },
      }),
    },
    '/moves': {
      get: op({
        id: 'listMoves',
        summary: 'Moves, newest first: all, waiting ones, or of a subscription (SPEC 22)',
        permission: 'read',
        params: [
          queryParam('status', str({ enum: ['issued', 'waiting'] }), 'Only moves in this state.'),
          queryParam('subscription', str({ maxLength: 64 }), "Only this subscription's."),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 200 }, 'At most this many.'),
        ],
        responses: { '200': json('The moves.', 'MoveList'), ...notFound },
      }),
      post: op({
        id: 'importMove',
        summary: 'Import a move request: the key for the new server ID at once within the budget, else it waits',
        permission: 'licenses.issue',
        body: 'MoveRequest',
        responses: { '201': json('The move, and its key when issued.', 'MoveImport'), '422': errorResponse('MOVE_REJECTED, with the reason.') },
      }),
    },
    '/moves/{move}/approve': {
      post: op({
        id: 'approveMove',
        summary: 'Issue the key of a move that waits for an engineer',
        permission: 'licenses.issue',
        params: [pathParam('move', 'The move ID.')],
        responses: { '200': json('The move and its key.', 'MoveImport'), ...notFound },
      }),
    },
    '/usage-reports': {
      post: op({
        id: 'importUsageReport',
        summary: "Import an instance's usage report (SPEC 18.1)",
        permission: 'customers.write',
        body: 'UsageReport',
        responses: {
          '201': json('What was imported (duplicate: true when it was already).', 'UsageImport'),
          '422': errorResponse('USAGE_REPORT_REJECTED, with the reason.'),
        },
      }),
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: `An API token; its role is one of ${ROLES.join(', ')}.` } },
    schemas,
  },
} as const;
