// Drives the OFFICIAL @instantdb/platform and @instantdb/admin 1.0.67 against a fresh
// instantdb-emulator (started by xtask/conformance/src/emulator.rs) and asserts the results.
//
// Input (one JSON line): {apiURI, platformToken}. Output: {ok: {results: [{name, ok, error?}],
// calls}} where `calls` counts the HTTP requests the SDKs made. Every check is independent
// enough that one failure does not hide the others, but they run in order on shared apps, as a
// user's session would.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, serve } from './lib/driver.mjs';

const platform = await load('@instantdb/platform');
const admin = await load('@instantdb/admin');
const { PlatformApi, i, OAuthHandler, InstantOAuthError, exchangeCodeForToken, exchangeRefreshToken } = platform;
const { init, tx, id, lookup } = admin;

// `getApp` fires its perms and schema requests in parallel and abandons them when the app request
// fails; a failed check must not take the whole driver down with an unhandled rejection.
process.on('unhandledRejection', () => {});

// Count every request the SDKs send, to report the number of calls made.
let calls = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => {
  calls += 1;
  return realFetch(...args);
};

const schema = i.schema({
  entities: {
    goals: i.entity({
      title: i.string().indexed(),
      priority: i.number().indexed().optional(),
      dueAt: i.date().indexed().optional(),
      ownerId: i.string().optional(),
      meta: i.json().optional(),
    }),
    todos: i.entity({
      text: i.string(),
      done: i.boolean().optional(),
      slug: i.string().unique().indexed().optional(),
    }),
    tags: i.entity({ name: i.json().optional() }),
    $users: i.entity({ email: i.string().unique().indexed().optional(), nickname: i.string().optional() }),
    $files: i.entity({ path: i.string().unique().indexed(), url: i.string() }),
  },
  links: {
    goalsTodos: {
      forward: { on: 'goals', has: 'many', label: 'todos' },
      reverse: { on: 'todos', has: 'one', label: 'goal', onDelete: 'cascade' },
    },
    todosTags: {
      forward: { on: 'todos', has: 'many', label: 'tags' },
      reverse: { on: 'tags', has: 'many', label: 'todos' },
    },
  },
});

const perms = {
  goals: {
    bind: ['isOwner', 'auth.id == data.ownerId'],
    allow: { view: 'auth.id != null', create: 'auth.id != null', update: 'isOwner', delete: 'false' },
  },
  todos: { allow: { view: 'true', create: 'false' } },
  tags: { allow: { view: "size(data.ref('todos.id')) > 0" } },
  $files: { allow: { view: 'true', create: 'auth.id != null', delete: 'false' } },
};

async function expectApiError(promise, { status = 400, type, message }) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.name, 'InstantAPIError', `expected InstantAPIError, got ${err.name}: ${err.message}`);
    assert.equal(err.status, status, `status of ${JSON.stringify(err.body)}`);
    if (type) assert.equal(err.body.type, type, JSON.stringify(err.body));
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail('expected the call to fail');
}

async function awaitProgress(promise) {
  const events = [];
  promise.subscribe({ next: (summary) => events.push(summary) });
  const result = await promise;
  return { result, events };
}

/** Opens `url` like a browser would, without following the redirect: the emulator consents at
 * once, so the answer is a 302 to the redirect URI. Returns its query parameters. */
async function authorize(url) {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, `authorization answered ${res.status}: ${await res.text()}`);
  return { location: res.headers.get('location'), params: new URL(res.headers.get('location')).searchParams };
}

/** Resolves with the first value `probe` returns that is not undefined (polling). */
async function eventually(probe, what) {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

serve(async ({ apiURI, platformToken, readOnlyToken, oauthToken, oauthClient, hooks, presence }) => {
  const results = [];
  async function check(name, fn) {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: String((err && err.stack) || err).slice(0, 1500) });
    }
  }
  calls = 0;
  const api = new PlatformApi({ auth: { token: platformToken }, apiURI });
  const state = {};

  // ---- Platform: apps, schema, perms ---------------------------------------------------------
  await check('platform.getApps.empty', async () => {
    const { apps } = await api.getApps();
    assert.deepEqual(apps, []);
  });
  await check('platform.createApp.withSchemaAndPerms', async () => {
    const { app } = await api.createApp({ title: 'Conformance', schema, perms });
    state.app = app;
    assert.equal(app.title, 'Conformance');
    assert.match(app.adminToken, /^[0-9a-f-]{36}$/);
    assert.deepEqual(app.perms, perms);
    assert.ok(app.createdAt instanceof Date && !Number.isNaN(app.createdAt.getTime()));
    assert.deepEqual(Object.keys(app.schema.entities).sort(), ['$files', '$streams', '$users', 'goals', 'tags', 'todos']);
  });
  const appId = state.app?.id;
  const adminToken = state.app?.adminToken;
  await check('platform.getApp', async () => {
    const { app } = await api.getApp(appId);
    assert.equal(app.id, appId);
    assert.equal(app.orgId, null);
    assert.equal(app.adminToken, undefined);
  });
  await check('platform.getApp.includeSchemaAndPerms', async () => {
    const { app } = await api.getApp(appId, { includeSchema: true, includePerms: true });
    assert.deepEqual(app.perms, perms);
    const goals = app.schema.entities.goals.attrs;
    assert.equal(goals.title.valueType, 'string');
    assert.equal(goals.title.isIndexed, true);
    assert.equal(goals.priority.required, false);
    assert.equal(app.schema.entities.todos.attrs.slug.config.unique, true);
  });
  await check('platform.getApps.includeSchema', async () => {
    const { apps } = await api.getApps({ includeSchema: true, includePerms: true });
    assert.equal(apps.length, 1);
    assert.ok(apps[0].schema.links.goalsTodos || Object.values(apps[0].schema.links).some((l) => l.forward.label === 'todos'));
  });
  await check('platform.getSchema.links', async () => {
    const { schema: s } = await api.getSchema(appId);
    const link = Object.values(s.links).find((l) => l.forward.on === 'goals' && l.forward.label === 'todos');
    const plain = (x) => JSON.parse(JSON.stringify(x));
    assert.deepEqual(plain(link.forward), { on: 'goals', has: 'many', label: 'todos' });
    assert.deepEqual(plain(link.reverse), { on: 'todos', has: 'one', label: 'goal', onDelete: 'cascade' });
    assert.equal(s.entities.$users.attrs.nickname.valueType, 'string');
  });
  await check('platform.getPerms', async () => {
    const { perms: got } = await api.getPerms(appId);
    assert.deepEqual(got, perms);
  });
  await check('platform.updateApp', async () => {
    const { app } = await api.updateApp(appId, { title: 'Renamed' });
    assert.equal(app.title, 'Renamed');
  });
  await check('platform.pushPerms', async () => {
    const { perms: got } = await api.pushPerms(appId, { perms });
    assert.deepEqual(got, perms);
  });
  await check('platform.backups.listEmpty', async () => {
    assert.deepEqual(await api.backups(appId).list(), []);
  });
  await check('platform.getOrgs', async () => {
    const { orgs } = await api.getOrgs();
    assert.ok(Array.isArray(orgs));
  });
  await check('platform.createTemporaryApp', async () => {
    const noAuth = new PlatformApi({ apiURI });
    const { app, expiresMs } = await noAuth.createTemporaryApp({ title: 'Temp', schema, rules: { code: perms } });
    assert.ok(app.adminToken);
    assert.ok(expiresMs > Date.now() + 13 * 24 * 3600 * 1000);
  });
  await check('platform.badToken', async () => {
    const bad = new PlatformApi({ auth: { token: 'per_' + '0'.repeat(64) }, apiURI });
    await expectApiError(bad.getApps(), { type: 'record-not-found' });
  });
  await check('platform.oauth.scopeMissing', async () => {
    const reader = new PlatformApi({ auth: { token: readOnlyToken }, apiURI });
    const err = await expectApiError(reader.createApp({ title: 'nope' }), { type: 'permission-denied' });
    assert.equal(err.message, 'You are missing the apps-write scope');
    assert.equal(err.hint['required-scope'], 'apps-write');
  });
  await check('platform.oauth.scopeRead', async () => {
    const reader = new PlatformApi({ auth: { token: readOnlyToken }, apiURI });
    const { app } = await reader.getApp(appId);
    assert.equal(app.id, appId);
  });
  await check('platform.tokenInfo', async () => {
    const info = await new PlatformApi({ auth: { token: oauthToken }, apiURI }).tokenInfo();
    assert.equal(info.tokenType, 'Bearer');
    assert.equal(info.scopes, 'apps-read apps-write data-read');
    assert.ok(info.expiresAt.getTime() > Date.now() + 3000 * 1000);
  });
  await check('platform.adminTokenOnOwnApp', async () => {
    const asAdmin = new PlatformApi({ auth: { token: adminToken }, apiURI });
    const { perms: got } = await asAdmin.getPerms(appId);
    assert.deepEqual(got, perms);
  });
  await check('platform.adminTokenNotForGetApps', async () => {
    const asAdmin = new PlatformApi({ auth: { token: adminToken }, apiURI });
    await expectApiError(asAdmin.getApps(), { type: 'record-not-found' });
  });
  await check('platform.planSchemaPush.additive', async () => {
    const next = i.schema({
      entities: { ...schema.entities, goals: i.entity({ ...schema.entities.goals.attrs, notes: i.string().optional() }) },
      links: schema.links,
    });
    const plan = await api.planSchemaPush(appId, { schema: next });
    const descriptions = plan.steps.map((s) => s.friendlyDescription);
    assert.deepEqual(descriptions, ['Add attribute goals.notes.']);
  });
  await check('platform.planSchemaPush.noChanges', async () => {
    const plan = await api.planSchemaPush(appId, { schema });
    assert.deepEqual(plan.steps, []);
  });

  // ---- Admin: transact and query -------------------------------------------------------------
  const db = init({ appId, adminToken, apiURI, schema });
  const raw = init({ appId, adminToken, apiURI });
  const g = [id(), id(), id()];
  const t = [id(), id(), id()];
  await check('admin.transact.create', async () => {
    const res = await db.transact([
      tx.goals[g[0]].update({ title: 'Alpha', priority: 3, dueAt: '2025-01-02T00:00:00Z', meta: { a: 1, b: { c: 2 } } }),
      tx.goals[g[1]].update({ title: 'Beta', priority: 1 }),
      tx.goals[g[2]].update({ title: 'Gamma', priority: 2, dueAt: 1735776000000 }),
    ]);
    assert.equal(typeof res['tx-id'], 'number');
  });
  await check('admin.transact.linkTodos', async () => {
    await db.transact([
      tx.todos[t[0]].update({ text: 'write', slug: 'write' }).link({ goal: g[0] }),
      tx.todos[t[1]].update({ text: 'read', slug: 'read', done: true }).link({ goal: g[0] }),
      tx.todos[t[2]].update({ text: 'sleep', slug: 'sleep' }),
      tx.goals[g[1]].link({ todos: t[2] }),
    ]);
  });
  await check('admin.query.all', async () => {
    const { goals } = await db.query({ goals: {} });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Alpha', 'Beta', 'Gamma']);
    const alpha = goals.find((x) => x.id === g[0]);
    assert.deepEqual(alpha.meta, { a: 1, b: { c: 2 } });
  });
  await check('admin.query.nested', async () => {
    const { goals } = await db.query({ goals: { $: { where: { id: g[0] } }, todos: {} } });
    assert.equal(goals.length, 1);
    assert.deepEqual(goals[0].todos.map((x) => x.text).sort(), ['read', 'write']);
  });
  await check('admin.query.inference.hasOne', async () => {
    const { todos } = await db.query({ todos: { $: { where: { id: t[0] } }, goal: {} } });
    assert.equal(todos[0].goal.id, g[0]);
    const { todos: rawTodos } = await raw.query({ todos: { $: { where: { id: t[0] } }, goal: {} } });
    assert.ok(Array.isArray(rawTodos[0].goal));
  });
  await check('admin.query.where.eq', async () => {
    const { goals } = await db.query({ goals: { $: { where: { title: 'Beta' } } } });
    assert.deepEqual(goals.map((x) => x.id), [g[1]]);
  });
  await check('admin.query.where.gt', async () => {
    const { goals } = await db.query({ goals: { $: { where: { priority: { $gt: 1 } } } } });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Alpha', 'Gamma']);
  });
  await check('admin.query.where.range.and', async () => {
    const { goals } = await db.query({ goals: { $: { where: { and: [{ priority: { $gte: 2 } }, { priority: { $lt: 3 } }] } } } });
    assert.deepEqual(goals.map((x) => x.title), ['Gamma']);
  });
  await check('admin.query.where.in', async () => {
    const { goals } = await db.query({ goals: { $: { where: { title: { $in: ['Alpha', 'Gamma', 'Nope'] } } } } });
    assert.equal(goals.length, 2);
  });
  await check('admin.query.where.like', async () => {
    const { goals } = await db.query({ goals: { $: { where: { title: { $like: '%amm%' } } } } });
    assert.deepEqual(goals.map((x) => x.title), ['Gamma']);
  });
  await check('admin.query.where.ilike', async () => {
    const { goals } = await db.query({ goals: { $: { where: { title: { $ilike: 'al%' } } } } });
    assert.deepEqual(goals.map((x) => x.title), ['Alpha']);
  });
  await check('admin.query.where.isNull', async () => {
    const { goals } = await db.query({ goals: { $: { where: { dueAt: { $isNull: true } } } } });
    assert.deepEqual(goals.map((x) => x.title), ['Beta']);
  });
  await check('admin.query.where.not', async () => {
    const { goals } = await db.query({ goals: { $: { where: { title: { $not: 'Alpha' } } } } });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Beta', 'Gamma']);
  });
  await check('admin.query.where.or', async () => {
    const { goals } = await db.query({ goals: { $: { where: { or: [{ title: 'Alpha' }, { priority: 1 }] } } } });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Alpha', 'Beta']);
  });
  await check('admin.query.where.dottedPath', async () => {
    const { goals } = await db.query({ goals: { $: { where: { 'todos.text': 'sleep' } } } });
    assert.deepEqual(goals.map((x) => x.title), ['Beta']);
  });
  await check('admin.query.where.date', async () => {
    const { goals } = await db.query({ goals: { $: { where: { dueAt: { $gte: '2025-01-02T00:00:00Z' } } } } });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Alpha', 'Gamma']);
  });
  await check('admin.query.order.limit', async () => {
    const { goals } = await db.query({ goals: { $: { order: { priority: 'desc' }, limit: 2 } } });
    assert.deepEqual(goals.map((x) => x.title), ['Alpha', 'Gamma']);
  });
  await check('admin.query.offset', async () => {
    const { goals } = await db.query({ goals: { $: { order: { priority: 'asc' }, limit: 1, offset: 1 } } });
    assert.deepEqual(goals.map((x) => x.title), ['Gamma']);
  });
  await check('admin.query.fields', async () => {
    const { goals } = await db.query({ goals: { $: { where: { id: g[1] }, fields: ['title'] } } });
    assert.deepEqual(goals, [{ id: g[1], title: 'Beta' }]);
  });
  await check('admin.query.orderNotIndexed.error', async () => {
    await expectApiError(raw.query({ todos: { $: { order: { text: 'asc' } } } }), { type: 'validation-failed', message: /not indexed/ });
  });
  await check('admin.query.missingAttr.empty', async () => {
    const { goals } = await raw.query({ goals: { $: { where: { nope: 1 } } } });
    assert.deepEqual(goals, []);
  });
  // ---- Query validation as upstream (issue 13) ------------------------------------------------
  // server/src/instant/db/model/attr_pat.clj (`coerce-value-data-value!`,
  // `assert-checked-attr-data-type!`, `->value-attr-pat`) and server/src/instant/db/instaql.clj
  // (order errors, `assert-map!`); date parsing in db/model/triple.clj `parse-date-value`.
  const invalidQuery = async (query) => {
    const err = await expectApiError(raw.query(query), { type: 'validation-failed' });
    assert.equal(err.hint['data-type'], 'query');
    return err.hint.errors;
  };
  await check('query.validate.comparisonWrongType', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { priority: { $gt: 'abc' } } } } });
    assert.deepEqual(errors, [{
      'expected?': 'number?',
      in: ['goals', '$', 'where', 'priority', '$gt'],
      message: 'The data type of `goals.priority` is `number`, but the query got the value `"abc"` of type `string`.',
    }]);
  });
  await check('query.validate.comparisonNeedsIndex', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { ownerId: { $lt: 'x' } } } } });
    assert.deepEqual(errors.map((e) => [e.in, e.message]), [[['goals', '$', 'where', 'ownerId'], 'The `goals.ownerId` attribute must be indexed to use comparison operators.']]);
  });
  await check('query.validate.comparisonNeedsType', async () => {
    const errors = await invalidQuery({ tags: { $: { where: { name: { $gt: 'a' } } } } });
    assert.match(errors[0].message, /^The `tags.name` attribute must be indexed to use comparison operators\.$/);
  });
  await check('query.validate.likeValueNotString', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { title: { $like: 3 } } } } });
    assert.deepEqual(errors[0].in, ['goals', '$', 'where', 'title', '$like']);
    assert.equal(errors[0].message, 'The $like value for `goals.title` must be a string, but the query got the value `3` of type `number`.');
  });
  await check('query.validate.likeOnNumber', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { priority: { $ilike: '%1' } } } } });
    assert.equal(errors[0].message, 'The data type of `goals.priority` is `number`, but the query got the value `"%1"` of type `string`.');
  });
  await check('query.validate.equalityWrongType', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { priority: 'high' } } } });
    assert.deepEqual(errors, [{
      'expected?': 'number?',
      in: ['goals', '$', 'where', 'priority'],
      message: 'The data type of `goals.priority` is `number`, but the query got the value `"high"` of type `string`.',
    }]);
  });
  await check('query.validate.equalityBooleanOnString', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { title: true } } } });
    assert.equal(errors[0].message, 'The data type of `goals.title` is `string`, but the query got the value `true` of type `boolean`.');
  });
  await check('query.validate.inListItemWrongType', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { priority: { $in: [1, 'two'] } } } } });
    assert.equal(errors[0].message, 'The data type of `goals.priority` is `number`, but the query got the value `"two"` of type `string`.');
  });
  await check('query.validate.orderNotIndexed', async () => {
    const errors = await invalidQuery({ goals: { $: { order: { ownerId: 'asc' } } } });
    assert.deepEqual(errors, [{
      expected: 'supported-order?',
      in: ['goals', '$', 'order'],
      message: 'The `goals.ownerId` attribute is not indexed. Only indexed and typed attributes can be used to order by.',
    }]);
  });
  await check('query.validate.orderEveryProblem', async () => {
    const errors = await invalidQuery({ goals: { $: { order: { meta: 'desc' } } } });
    assert.deepEqual(errors.map((e) => e.message), [
      'The `goals.meta` attribute is not indexed. Only indexed and typed attributes can be used to order by.',
      'The `goals.meta` attribute is not typed. Only typed and indexed attributes can be used to order by.',
    ]);
  });
  await check('query.validate.orderMissingAttr', async () => {
    const errors = await invalidQuery({ goals: { $: { order: { nope: 'asc' } } } });
    assert.deepEqual(errors.map((e) => [e.in, e.message]), [[['goals', '$', 'order'], 'There is no `nope` attribute for goals.']]);
  });
  await check('query.validate.nullInInNeedsIndex', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { ownerId: { $in: ['a', null] } } } } });
    assert.deepEqual(errors, [{
      'expected?': 'indexed?',
      in: ['goals', '$', 'where', '$in', ['a', null]],
      message: 'Only indexed attrs can check for `nil` in `$in`. goals.ownerId is not indexed.',
    }]);
  });
  await check('query.validate.nullInInIndexed', async () => {
    const { goals } = await raw.query({ goals: { $: { where: { title: { $in: ['Alpha', null] } } } } });
    assert.ok(goals.some((g) => g.title === 'Alpha'));
  });
  await check('query.validate.uuidWhere', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { id: 'nope' } } } });
    assert.deepEqual(errors.map((e) => [e.in, e.message]), [[['goals', '$', 'where', 'id'], 'Expected id to be a uuid, got "nope"']]);
  });
  await check('query.validate.namespaceNotObject', async () => {
    // The SDK refuses this itself (core/queryValidation.js); the server's `assert-map!` answer:
    const res = await fetch(`${apiURI}/admin/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query: { goals: 1 } }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.type, 'validation-failed');
    assert.deepEqual(body.hint.errors, [{ expected: 'map?', in: ['goals'] }]);
  });
  const withDue = async () => (await raw.query({ goals: { $: { where: { dueAt: { $isNull: false } } } } })).goals.length;
  for (const [name, op, special, all] of [
    ['ltNow', '$lt', 'now', true],
    ['ltTomorrow', '$lt', 'tomorrow', true],
    ['gtYesterday', '$gt', 'yesterday', false],
    ['ltInfinity', '$lt', 'infinity', true],
    ['gtMinusInfinity', '$gt', '-infinity', true],
    ['ltEpoch', '$lt', 'epoch', false],
    ['gteToday', '$gte', 'today', false],
  ]) {
    await check(`query.dates.special.${name}`, async () => {
      // triple.clj `special-str->instant`: Postgres' special values, accepted in comparisons.
      const { goals } = await raw.query({ goals: { $: { where: { dueAt: { [op]: special } } } } });
      assert.equal(goals.length, all ? await withDue() : 0);
      assert.ok((await withDue()) > 0);
    });
  }
  for (const special of ['now', 'today', 'tomorrow', 'yesterday']) {
    await check(`query.dates.equalityRefused.${special}`, async () => {
      // attr_pat.clj: "we need a way to agree with the client on what these values mean".
      const errors = await invalidQuery({ goals: { $: { where: { dueAt: special } } } });
      assert.deepEqual(errors, [{
        'expected?': 'date-string?',
        in: ['goals', '$', 'where', 'dueAt'],
        message: `The data type of \`goals.dueAt\` is \`date\`, but the query got value \`"${special}"\` of type \`string\`.`,
      }]);
    });
  }
  await check('query.dates.equalityEpochAccepted', async () => {
    const { goals } = await raw.query({ goals: { $: { where: { dueAt: 'epoch' } } } });
    assert.deepEqual(goals, []);
  });
  await check('query.dates.unparsableComparison', async () => {
    const errors = await invalidQuery({ goals: { $: { where: { dueAt: { $gt: 'not a date' } } } } });
    assert.deepEqual(errors.map((e) => e.in), [['goals', '$', 'where', 'dueAt', '$gt']]);
  });
  await check('query.dates.jsonQuotedDate', async () => {
    const { goals } = await raw.query({ goals: { $: { where: { dueAt: { $gte: '"2025-01-02T00:00:00Z"' } } } } });
    assert.deepEqual(goals.map((x) => x.title).sort(), ['Alpha', 'Gamma']);
  });
  await check('admin.subscribeQuery.liveUpdates', async () => {
    const liveId = id();
    const payloads = [];
    let sub;
    const done = new Promise((resolve, reject) => {
      sub = db.subscribeQuery({ goals: { $: { where: { title: 'Live' } } } }, (payload) => {
        payloads.push(payload);
        if (payload.type === 'error') reject(payload.error);
        else if (payloads.length === 1) raw.transact(tx.goals[liveId].update({ title: 'Live' })).catch(reject);
        else resolve();
      });
    });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no live update within 5 s')), 5000));
    try {
      await Promise.race([done, timeout]);
    } finally {
      sub.close();
    }
    assert.deepEqual(payloads[0].data.goals, []);
    assert.equal(payloads[0].pageInfo.goals.hasNextPage, false);
    assert.equal(payloads[1].data.goals[0].id, liveId);
    assert.deepEqual(payloads[1].pageInfo.goals.startCursor[0], liveId);
    await raw.transact(tx.goals[liveId].delete());
  });
  await check('admin.transact.lookup', async () => {
    await db.transact(tx.todos[lookup('slug', 'write')].update({ done: true }));
    const { todos } = await db.query({ todos: { $: { where: { slug: 'write' } } } });
    assert.equal(todos[0].id, t[0]);
    assert.equal(todos[0].done, true);
  });
  await check('admin.transact.merge', async () => {
    await db.transact(tx.goals[g[0]].merge({ meta: { b: { d: 3 } } }));
    const { goals } = await db.query({ goals: { $: { where: { id: g[0] } } } });
    assert.deepEqual(goals[0].meta, { a: 1, b: { c: 2, d: 3 } });
  });
  await check('admin.transact.unlink', async () => {
    await db.transact(tx.goals[g[1]].unlink({ todos: t[2] }));
    const { goals } = await db.query({ goals: { $: { where: { id: g[1] } }, todos: {} } });
    assert.deepEqual(goals[0].todos, []);
  });
  await check('admin.transact.linkManyToMany', async () => {
    const tagId = id();
    await raw.transact([tx.tags[tagId].update({ name: 'home' }), tx.todos[t[1]].link({ tags: tagId })]);
    const { todos } = await raw.query({ todos: { $: { where: { id: t[1] } }, tags: {} } });
    assert.deepEqual(todos[0].tags.map((x) => x.name), ['home']);
  });
  await check('admin.transact.throwOnMissingAttrs', async () => {
    const err = await expectApiError(
      db.transact(tx.goals[g[0]].update({ favoriteColor: 'blue' })),
      { type: 'validation-failed', message: /Attributes are missing in your schema/ },
    );
    assert.deepEqual(err.hint.errors[0].hint.attributes, ['goals.favoriteColor']);
  });
  await check('admin.transact.autoCreateAttr', async () => {
    await raw.transact(tx.goals[g[2]].update({ color: 'red' }));
    const { goals } = await raw.query({ goals: { $: { where: { color: 'red' } } } });
    assert.deepEqual(goals.map((x) => x.id), [g[2]]);
  });
  await check('admin.transact.typeEnforced', async () => {
    await expectApiError(raw.transact(tx.goals[g[2]].update({ priority: 'high' })), {
      type: 'validation-failed',
      message: /Invalid value type for goals\.priority/,
    });
  });
  await check('admin.transact.uniqueEnforced', async () => {
    await expectApiError(raw.transact(tx.todos[id()].update({ text: 'dup', slug: 'read' })), { type: 'record-not-unique' });
  });
  await check('admin.transact.requiredEnforced', async () => {
    await expectApiError(raw.transact(tx.todos[id()].update({ done: false })), {
      type: 'validation-failed',
      message: /Missing required attribute `todos\/text`/,
    });
  });
  await check('admin.transact.atomic', async () => {
    const fresh = id();
    await expectApiError(
      raw.transact([tx.goals[fresh].update({ title: 'Half' }), tx.goals[id()].update({ priority: 'x', title: 'Bad' })]),
      { type: 'validation-failed' },
    );
    const { goals } = await raw.query({ goals: { $: { where: { id: fresh } } } });
    assert.deepEqual(goals, []);
  });
  await check('admin.transact.createExisting', async () => {
    await expectApiError(raw.transact(tx.goals[g[1]].create({ title: 'again' })), { message: /Creating entities that exist/ });
  });
  await check('admin.transact.updateUpsertFalse', async () => {
    await expectApiError(raw.transact(tx.goals[id()].update({ title: 'x' }, { upsert: false })), {
      message: /Updating entities that don't exist/,
    });
  });
  await check('admin.transact.invalidEntityId', async () => {
    const res = await realFetch(`${apiURI}/admin/transact`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ steps: [['update', 'goals', '12345', { title: 'x' }]] }),
    });
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.message, "Validation failed for steps: Invalid entity ID '12345'. Entity IDs must be UUIDs or lookup references.");
  });
  await check('admin.transact.cascadeDelete', async () => {
    await db.transact(tx.goals[g[0]].delete());
    const { todos } = await db.query({ todos: {} });
    assert.deepEqual(todos.map((x) => x.text), ['sleep']);
  });
  await check('admin.query.badAdminToken', async () => {
    const bad = init({ appId, adminToken: '00000000-0000-4000-8000-000000000000', apiURI });
    const err = await expectApiError(bad.query({ goals: {} }), { type: 'record-not-found' });
    assert.equal(err.hint['record-type'], 'app-admin-token');
  });

  // ---- Auth ----------------------------------------------------------------------------------
  const email = 'alyssa@example.com';
  await check('admin.auth.createToken', async () => {
    state.token = await db.auth.createToken({ email });
    assert.match(state.token, /^[0-9a-f-]{36}$/);
  });
  await check('admin.auth.verifyToken', async () => {
    const user = await db.auth.verifyToken(state.token);
    assert.equal(user.email, email);
    assert.equal(user.refresh_token, state.token);
    state.userId = user.id;
  });
  await check('admin.auth.getUser.byEmail', async () => {
    const user = await db.auth.getUser({ email: 'Alyssa@Example.com' });
    assert.equal(user.id, state.userId);
    assert.equal(user.isGuest, false);
  });
  await check('admin.auth.getUser.missing', async () => {
    assert.equal(await db.auth.getUser({ email: 'nobody@example.com' }), null);
  });
  await check('admin.auth.magicCode', async () => {
    const { code } = await db.auth.generateMagicCode('ben@example.com');
    assert.match(code, /^\d{6}$/);
    const { user, created } = await db.auth.checkMagicCode('ben@example.com', code);
    assert.equal(created, true);
    assert.equal(user.email, 'ben@example.com');
    assert.equal(user.type, 'user');
  });
  await check('admin.auth.magicCode.wrongCode', async () => {
    await db.auth.generateMagicCode('ben@example.com');
    await expectApiError(db.auth.checkMagicCode('ben@example.com', '000000x'), { type: 'record-not-found' });
  });
  await check('admin.auth.sendMagicCode', async () => {
    const { code } = await db.auth.sendMagicCode('cy@example.com');
    const { created } = await db.auth.checkMagicCode('cy@example.com', code);
    assert.equal(created, true);
  });
  await check('admin.auth.signOut', async () => {
    const token = await db.auth.createToken({ email: 'dee@example.com' });
    await db.auth.signOut({ email: 'dee@example.com' });
    await expectApiError(db.auth.verifyToken(token), { type: 'record-not-found' });
  });
  await check('admin.auth.deleteUser', async () => {
    const deleted = await db.auth.deleteUser({ email: 'dee@example.com' });
    assert.equal(deleted.email, 'dee@example.com');
    assert.equal(await db.auth.getUser({ email: 'dee@example.com' }), null);
  });
  await check('admin.rooms.getPresence', async () => {
    assert.deepEqual(await db.rooms.getPresence('chat', 'room-1'), {});
  });
  await check('admin.rooms.getPresence.sessions', async () => {
    // admin/routes.clj `presence-get`: `{sessions: {session-id: {peer-id, user, data}}}`.
    const room = init({ appId: presence.appId, adminToken: presence.adminToken, apiURI: hooks.apiURI });
    assert.deepEqual(await room.rooms.getPresence('chat', 'room-1'), {
      'peer-a': { 'peer-id': 'peer-a', data: { name: 'Ada', cursor: { x: 1, y: 2 } } },
      'peer-b': { 'peer-id': 'peer-b', data: { name: 'Bob' } },
    });
  });
  await check('admin.rooms.getPresence.otherRoomEmpty', async () => {
    const room = init({ appId: presence.appId, adminToken: presence.adminToken, apiURI: hooks.apiURI });
    assert.deepEqual(await room.rooms.getPresence('chat', 'room-2'), {});
  });
  await check('admin.rooms.getPresence.otherAppsTokenRefused', async () => {
    const wrong = init({ appId: presence.appId, adminToken: adminToken, apiURI: hooks.apiURI });
    await expectApiError(wrong.rooms.getPresence('chat', 'room-1'), { type: 'record-not-found' });
  });

  // ---- Impersonation -------------------------------------------------------------------------
  await check('admin.asUser.guest.viewDenied', async () => {
    const { goals } = await db.asUser({ guest: true }).query({ goals: {} });
    assert.deepEqual(goals, []);
  });
  await check('admin.asUser.token.view', async () => {
    const { goals } = await db.asUser({ token: state.token }).query({ goals: {} });
    assert.equal(goals.length, 2);
  });
  await check('admin.asUser.email.createAllowed', async () => {
    const mine = id();
    state.mine = mine;
    await db.asUser({ email }).transact(tx.goals[mine].update({ title: 'Mine', ownerId: state.userId }));
    const { goals } = await db.query({ goals: { $: { where: { id: mine } } } });
    assert.equal(goals.length, 1);
  });
  await check('admin.asUser.updateOwnAllowed', async () => {
    await db.asUser({ token: state.token }).transact(tx.goals[state.mine].update({ title: 'Mine!' }));
  });
  await check('admin.asUser.updateOthersDenied', async () => {
    await expectApiError(db.asUser({ token: state.token }).transact(tx.goals[g[1]].update({ title: 'stolen' })), {
      type: 'permission-denied',
    });
  });
  await check('admin.debugQuery.asUser', async () => {
    const { result, checkResults } = await db.asUser({ token: state.token }).debugQuery({ goals: {} });
    assert.equal(result.goals.length, 3);
    assert.equal(checkResults.length, 3);
    assert.ok(checkResults.every((c) => c.check === true && c.entity === 'goals'));
  });
  await check('admin.debugQuery.rulesOverride', async () => {
    const { result, checkResults } = await db
      .asUser({ guest: true })
      .debugQuery({ goals: {} }, { rules: { goals: { allow: { view: 'true' } } } });
    assert.equal(result.goals.length, 3);
    assert.ok(checkResults.every((c) => c.program.code === 'true'));
  });
  await check('admin.debugQuery.asAdminRefused', async () => {
    await expectApiError(db.debugQuery({ goals: {} }), { type: 'validation-failed', message: /Cannot test perms as admin/ });
  });
  await check('admin.debugTransact.dryRun', async () => {
    const res = await db.asUser({ token: state.token }).debugTransact(tx.goals[g[1]].update({ title: 'nope' }));
    assert.equal(res['all-checks-ok?'], false);
    assert.equal(res['committed?'], false);
    assert.equal(res['check-results'][0]['check-pass?'], false);
    const { goals } = await db.query({ goals: { $: { where: { id: g[1] } } } });
    assert.equal(goals[0].title, 'Beta');
  });
  await check('admin.debugTransact.commit', async () => {
    const res = await db
      .asUser({ token: state.token })
      .debugTransact(tx.goals[state.mine].update({ title: 'Committed' }), { __dangerouslyCommit: true });
    assert.deepEqual([res['all-checks-ok?'], res['committed?']], [true, true]);
    const { goals } = await db.query({ goals: { $: { where: { id: state.mine } } } });
    assert.equal(goals[0].title, 'Committed');
  });
  await check('admin.asUser.refRule', async () => {
    const todoId = id();
    await db.transact(tx.todos[todoId].update({ text: 'mine todo' }).link({ goal: state.mine }));
    const rules = { todos: { allow: { view: "auth.id in data.ref('goal.ownerId')" } } };
    const { result } = await db.asUser({ token: state.token }).debugQuery({ todos: {} }, { rules });
    assert.deepEqual(result.todos.map((t) => t.id), [todoId]);
  });
  await check('admin.asUser.guest.createDenied', async () => {
    await expectApiError(db.asUser({ guest: true }).transact(tx.goals[id()].update({ title: 'guest' })), {
      type: 'permission-denied',
    });
  });
  await check('admin.asUser.sizeOfRef', async () => {
    // `size(data.ref('todos.id')) > 0` is plain CEL on the list `data.ref` returns (db/cel.clj).
    const [untagged, tagged, todo] = [id(), id(), id()];
    await raw.transact([
      tx.tags[untagged].update({ name: 'lonely' }),
      tx.tags[tagged].update({ name: 'linked' }),
      tx.todos[todo].update({ text: 'tagged todo' }).link({ tags: tagged }),
    ]);
    const { tags } = await db.asUser({ token: state.token }).query({ tags: {} });
    const { tags: all } = await raw.query({ tags: {} });
    assert.ok(all.some((x) => x.id === untagged));
    assert.ok(tags.some((x) => x.id === tagged));
    assert.ok(!tags.some((x) => x.id === untagged));
  });
  await check('admin.asUser.ruleParams', async () => {
    await api.pushPerms(appId, { perms: { ...perms, todos: { allow: { view: "ruleParams.key == 'open'" } } } });
    const as = db.asUser({ guest: true });
    const { todos: hidden } = await as.query({ todos: {} });
    const { todos: shown } = await as.query({ todos: {} }, { ruleParams: { key: 'open' } });
    const { todos: all } = await db.query({ todos: {} });
    assert.ok(all.length > 0);
    assert.deepEqual([hidden.length, shown.length], [0, all.length]);
  });

  // ---- Storage -------------------------------------------------------------------------------
  const bytes = Buffer.from('hello from the emulator\n');
  await check('admin.storage.uploadFile', async () => {
    const { data } = await db.storage.uploadFile('docs/hello.txt', bytes, { contentType: 'text/plain' });
    assert.ok(data.id);
    state.fileId = data.id;
  });
  await check('admin.storage.query.url.download', async () => {
    const { $files } = await db.query({ $files: { $: { where: { path: 'docs/hello.txt' } } } });
    assert.equal($files.length, 1);
    const res = await fetch($files[0].url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });
  await check('admin.storage.reupload.keepsId', async () => {
    const { data } = await db.storage.uploadFile('docs/hello.txt', Buffer.from('v2'));
    assert.equal(data.id, state.fileId);
    const { $files } = await db.query({ $files: {} });
    const res = await fetch($files[0].url);
    assert.equal(await res.text(), 'v2');
  });
  await check('admin.storage.asUser.guestDenied', async () => {
    await expectApiError(db.asUser({ guest: true }).storage.uploadFile('x.txt', Buffer.from('x')), { type: 'permission-denied' });
  });
  await check('admin.storage.asUser.tokenAllowed', async () => {
    const { data } = await db.asUser({ token: state.token }).storage.uploadFile('user/a.txt', Buffer.from('a'));
    assert.ok(data.id);
  });
  await check('admin.storage.legacyUpload', async () => {
    assert.equal(await db.storage.upload('legacy/x.txt', Buffer.from('legacy'), { contentType: 'text/plain' }), true);
    const { $files } = await db.query({ $files: { $: { where: { path: 'legacy/x.txt' } } } });
    assert.equal(await (await fetch($files[0].url)).text(), 'legacy');
    assert.equal(await db.storage.getDownloadUrl('legacy/x.txt'), $files[0].url);
  });
  await check('admin.storage.deleteViaTransact', async () => {
    await db.transact(tx.$files[lookup('path', 'docs/hello.txt')].delete());
    const { $files } = await db.query({ $files: { $: { where: { path: 'docs/hello.txt' } } } });
    assert.deepEqual($files, []);
  });

  // ---- Schema push with background jobs -------------------------------------------------------
  await check('platform.schemaPush.uniqueJobFails', async () => {
    await raw.transact([tx.goals[id()].update({ title: 'Beta' })]);
    const next = i.schema({
      entities: { ...schema.entities, goals: i.entity({ ...schema.entities.goals.attrs, title: i.string().indexed().unique() }) },
      links: schema.links,
    });
    const { result, events } = await awaitProgress(api.schemaPush(appId, { schema: next }));
    const step = result.steps.find((s) => s.type === 'unique');
    assert.equal(step.backgroundJob.status, 'errored');
    assert.equal(step.backgroundJob.error, 'triple-not-unique-error');
    assert.equal(step.backgroundJob.invalidUniqueValue, 'Beta');
    assert.equal(step.backgroundJob.invalidTriplesSample.length, 2);
    assert.equal(result.summary.errorCount, 1);
    assert.ok(events.length >= 1, 'progress events');
  });
  await check('platform.schemaPush.requiredJobFails', async () => {
    const next = i.schema({
      entities: { ...schema.entities, goals: i.entity({ ...schema.entities.goals.attrs, priority: i.number().indexed() }) },
      links: schema.links,
    });
    const { result } = await awaitProgress(api.schemaPush(appId, { schema: next }));
    const step = result.steps.find((s) => s.type === 'required');
    assert.equal(step.backgroundJob.status, 'errored');
    assert.equal(step.backgroundJob.error, 'missing-required-error');
  });
  await check('platform.schemaPush.dataTypeJobSucceeds', async () => {
    const next = i.schema({
      entities: { ...schema.entities, tags: i.entity({ name: i.string().optional() }) },
      links: schema.links,
    });
    const { result } = await awaitProgress(api.schemaPush(appId, { schema: next }));
    const step = result.steps.find((s) => s.type === 'check-data-type');
    assert.equal(step.backgroundJob.status, 'completed');
    const { schema: s } = await api.getSchema(appId);
    assert.equal(s.entities.tags.attrs.name.valueType, 'string');
  });
  await check('platform.schemaPush.additiveNeverDeletes', async () => {
    const smaller = i.schema({ entities: { goals: i.entity({ title: i.string().indexed() }) } });
    const { result } = await awaitProgress(api.schemaPush(appId, { schema: smaller }));
    assert.equal(result.steps.length, 0);
    const { schema: s } = await api.getSchema(appId);
    assert.ok(s.entities.goals.attrs.priority);
  });
  await check('platform.schemaPush.overwrite.rename', async () => {
    const current = (await api.getSchema(appId)).schema;
    const { priority, ...rest } = current.entities.goals.attrs;
    const renamed = i.schema({
      entities: {
        ...current.entities,
        goals: i.entity({ ...rest, rank: priority }),
      },
      links: current.links,
    });
    const { result } = await awaitProgress(
      api.schemaPush(appId, { schema: renamed, overwrite: true, renames: ['goals.priority:goals.rank'] }),
    );
    assert.ok(result.steps.some((s) => s.type === 'update-attr'));
    const { goals } = await raw.query({ goals: { $: { where: { id: g[2] } } } });
    assert.equal(goals[0].rank, 2);
    assert.equal(goals[0].priority, undefined);
  });
  await check('platform.schemaPush.overwrite.delete', async () => {
    const current = (await api.getSchema(appId)).schema;
    const attrs = { ...current.entities.goals.attrs };
    delete attrs.color;
    const next = i.schema({ entities: { ...current.entities, goals: i.entity(attrs) }, links: current.links });
    await awaitProgress(api.schemaPush(appId, { schema: next, overwrite: true }));
    const { schema: s } = await api.getSchema(appId);
    assert.equal(s.entities.goals.attrs.color, undefined);
    const { goals } = await raw.query({ goals: { $: { where: { id: g[2] } } } });
    assert.equal(goals[0].color, undefined);
  });

  // ---- Webhook management (registrations only; the emulator never delivers) ------------------
  await check('platform.webhooks.crud', async () => {
    const manager = api.webhooks(appId).manager;
    const created = await manager.create({ url: 'https://hooks.example.com/instant', namespaces: ['goals'], actions: ['create', 'update'] });
    assert.equal(created.status, 'active');
    assert.ok(created.createdAt instanceof Date);
    const updated = await manager.update(created.id, { actions: ['delete'] });
    assert.deepEqual(updated.actions, ['delete']);
    const disabled = await manager.disable(created.id, { reason: 'maintenance' });
    assert.deepEqual([disabled.status, disabled.disabledReason], ['disabled', 'maintenance']);
    const enabled = await manager.enable(created.id);
    assert.deepEqual([enabled.status, enabled.disabledReason], ['active', null]);
    const page = await manager.listEvents(created.id);
    assert.deepEqual(page.events, []);
    assert.equal(page.pageInfo.hasNextPage, false);
    assert.deepEqual((await manager.list()).map((w) => w.id), [created.id]);
    await manager.delete(created.id);
    assert.deepEqual(await manager.list(), []);
  });
  await check('admin.webhooks.validation', async () => {
    await expectApiError(
      db.webhooks.manager.create({ url: 'http://localhost:3000/hook', namespaces: ['goals'], actions: ['create'] }),
      { type: 'validation-failed', message: /must be https/ },
    );
    await expectApiError(
      db.webhooks.manager.create({ url: 'https://hooks.example.com/x', namespaces: ['nope'], actions: ['create'] }),
      { type: 'validation-failed', message: /Could not find matching table for nope/ },
    );
  });

  // ---- Raw HTTP details the SDKs do not expose ------------------------------------------------
  await check('http.unknownRoute404', async () => {
    const res = await fetch(`${apiURI}/admin/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { message: "Oops! We couldn't match this route." });
  });
  await check('http.malformedJson', async () => {
    const res = await fetch(`${apiURI}/admin/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: '{"query": ',
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    assert.equal(await res.text(), 'Malformed JSON in request body.');
  });
  await check('http.missingQueryParam', async () => {
    const res = await fetch(`${apiURI}/admin/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'app-id': appId, authorization: `Bearer ${adminToken}` },
      body: '{}',
    });
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.type, 'param-missing');
    assert.equal(body.message, 'Missing parameter: ["body" "query"]');
    assert.ok(body['trace-id']);
  });

  // ---- Backups the emulator takes ----------------------------------------------------------
  await check('platform.backups.onDemand', async () => {
    // The SDK has no call that starts a backup; the dashboard's `POST …/backups` does.
    const res = await fetch(`${apiURI}/dash/apps/${appId}/backups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platformToken}` },
      body: JSON.stringify({ description: 'conformance' }),
    });
    assert.equal(res.status, 200);
    const { job } = await res.json();
    assert.equal(job.job_status, 'completed');
    state.backupId = job.app_backup_id;
    const backups = await api.backups(appId).list();
    assert.equal(backups[0].id, state.backupId);
    assert.equal(backups[0].description, 'conformance');
    assert.ok(backups[0].backupAt instanceof Date && backups[0].expiresAt > backups[0].backupAt);
    assert.ok(backups[0].uncompressedSize > 0);
  });
  await check('platform.backups.listFiles', async () => {
    const files = await api.backups(appId).listFiles(state.backupId);
    assert.equal(files[0].name, 'config.json');
    const names = files.map((f) => f.name);
    for (const etype of ['$files', 'goals', 'todos']) assert.ok(names.includes(`entities/${etype}.jsonl`), names.join());
    assert.ok(files.every((f) => f.size > 0));
  });
  await check('platform.backups.getFileUrl.zstd', async () => {
    const url = await api.backups(appId).getFileUrl(state.backupId, 'entities/$files.jsonl');
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), 'zstd');
    const bytes = new Uint8Array(await res.arrayBuffer());
    // Node 20's fetch does not decode zstd: the body is the stored frame.
    assert.deepEqual([...bytes.slice(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  });
  await check('platform.backups.streamStorageFiles', async () => {
    const files = [];
    for await (const file of api.backups(appId).streamStorageFiles(state.backupId)) files.push(file);
    const { $files } = await raw.query({ $files: {} });
    assert.deepEqual(files.map((f) => f.path).sort(), $files.map((f) => f.path).sort());
    const legacy = files.find((f) => f.path === 'legacy/x.txt');
    assert.equal(await (await fetch(legacy.url)).text(), 'legacy');
  });
  await check('platform.backups.downloadArchive', async () => {
    const manager = api.backups(appId);
    const [backup] = await manager.list();
    const entries = [];
    const chunks = [];
    const result = await manager.downloadArchive({
      backup,
      fetchBody: async (url) => (await fetch(url)).body,
      sink: new WritableStream({ write: (chunk) => { chunks.push(chunk); } }),
      // A stand-in archive encoder: it records each entry instead of zipping it.
      createWriter: async (sink) => {
        const writer = sink.getWriter();
        return {
          add: async (name, input) => {
            const bytes = Buffer.from(await new Response(input).arrayBuffer());
            entries.push({ name, bytes });
            await writer.write(new Uint8Array(bytes));
          },
          close: async () => writer.close(),
        };
      },
    });
    const names = entries.map((e) => e.name);
    assert.equal(names[0], 'config.json');
    const firstFile = names.findIndex((n) => n.startsWith('files/'));
    assert.ok(firstFile > 0 && names.slice(0, firstFile).every((n) => n === 'config.json' || n.startsWith('entities/')));
    assert.equal(result.files, names.length - firstFile);
    assert.equal(result.entities, firstFile - 1);
    assert.ok(entries.some((e) => e.bytes.toString() === 'legacy'));
  });

  // ---- OAuth: the emulator as the authorization server -------------------------------------
  const { clientId, clientSecret, redirectUri } = oauthClient;
  await check('oauth.OAuthHandler.clientOnlyFlow', async () => {
    const handler = new OAuthHandler({ clientId, redirectUri, apiURI });
    // A stand-in browser: the popup follows the start URL to the emulator, which consents at
    // once; the redirect page then runs `handleClientRedirect`, which posts the code back.
    // The redirect page's cleanup (a React effect's return value) closes its BroadcastChannel,
    // which would otherwise keep this process alive.
    let closeRedirectPage = () => {};
    const popup = { close() {} };
    popup.location = {
      set href(url) {
        authorize(url).then(({ location }) => {
          globalThis.window.location = { href: location };
          closeRedirectPage = handler.handleClientRedirect();
        });
      },
    };
    globalThis.window = { open: () => popup, close() {}, outerWidth: 1200, outerHeight: 900, screenX: 0, screenY: 0, location: { href: '' } };
    try {
      const token = await handler.startClientOnlyFlow(['apps-read']);
      assert.match(token.token, /^pat_[0-9a-f]{64}$/);
      assert.ok(token.expiresAt.getTime() > Date.now() + 13 * 24 * 3600 * 1000);
      const reader = new PlatformApi({ auth: { token: token.token }, apiURI });
      assert.ok(Array.isArray((await reader.getApps()).apps));
      await expectApiError(reader.createApp({ title: 'nope' }), { type: 'permission-denied', message: /apps-write/ });
    } finally {
      closeRedirectPage();
      delete globalThis.window;
    }
  });
  const startUrl = (extra = {}) => {
    const url = new URL(`${apiURI}/platform/oauth/start`);
    const params = { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'apps-read apps-write', state: 's-1', ...extra };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  };
  await check('oauth.exchangeCodeForToken', async () => {
    const { params } = await authorize(startUrl());
    assert.equal(params.get('state'), 's-1');
    assert.equal(params.get('scope'), 'apps-read apps-write');
    const tokens = await exchangeCodeForToken({ code: params.get('code'), clientId, clientSecret, redirectUri, apiURI });
    assert.match(tokens.accessToken, /^pat_/);
    assert.match(tokens.refreshToken, /^prt_/);
    assert.equal(tokens.scopes, 'apps-read apps-write');
    assert.equal(tokens.tokenType, 'Bearer');
    state.oauth = tokens;
    // Codes are single use; the SDK reads `error`, which Instant's error bodies do not have.
    const err = await exchangeCodeForToken({ code: params.get('code'), clientId, clientSecret, redirectUri, apiURI }).then(
      () => assert.fail('a reused code was accepted'),
      (e) => e,
    );
    assert.ok(err instanceof InstantOAuthError);
    assert.equal(err.message, 'OAuth error: server_error');
  });
  await check('oauth.exchangeRefreshToken', async () => {
    const refreshed = await exchangeRefreshToken({ clientId, clientSecret, refreshToken: state.oauth.refreshToken, apiURI });
    assert.match(refreshed.accessToken, /^pat_/);
    assert.notEqual(refreshed.accessToken, state.oauth.accessToken);
    // Upstream's helper reads `scopes`, but the refresh grant answers `scope`, and it dates the
    // expiry from 1970: the emulator answers as the server does.
    assert.equal(refreshed.scopes, undefined);
    assert.ok(refreshed.expiresAt.getTime() < Date.now());
  });
  await check('oauth.platformApi.refreshOnRevokedToken', async () => {
    const refreshes = [];
    const client = new PlatformApi({
      apiURI,
      auth: { accessToken: state.oauth.accessToken, refreshToken: state.oauth.refreshToken, clientId, clientSecret, onRefresh: (t) => refreshes.push(t) },
    });
    await client.getApps();
    const revoked = await fetch(`${apiURI}/platform/oauth/revoke?token=${state.oauth.accessToken}`, { method: 'POST' });
    assert.equal(revoked.status, 200);
    const { apps } = await client.getApps();
    assert.ok(Array.isArray(apps));
    assert.equal(refreshes.length, 1);
    assert.match(refreshes[0].accessToken, /^pat_/);
  });
  await check('oauth.start.errors', async () => {
    const res = await fetch(startUrl({ redirect_uri: 'http://127.0.0.1:9/elsewhere' }), { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /There was an error with your OAuth request/);
  });

  // ---- Webhooks delivered to a local receiver (a second emulator that allows loopback URLs) ----
  await check('webhooks.delivery.processNodeRequest', async () => {
    const hooksApi = new PlatformApi({ auth: { token: hooks.platformToken }, apiURI: hooks.apiURI });
    const { app } = await hooksApi.createApp({ title: 'Hooks', schema });
    const hookDb = init({ appId: app.id, adminToken: app.adminToken, apiURI: hooks.apiURI });
    const received = [];
    const failures = [];
    const receiver = createServer(async (req, res) => {
      try {
        await hookDb.webhooks.processNodeRequest(
          { todos: { $default: async (record) => { received.push(record); } } },
          req,
        );
        res.end('ok');
      } catch (e) {
        failures.push(String(e));
        res.statusCode = 400;
        res.end(String(e));
      }
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${receiver.address().port}/webhooks/instant`;
      const webhook = await hookDb.webhooks.manager.create({ url, namespaces: ['todos'], actions: ['create', 'update', 'delete'] });
      assert.equal(webhook.status, 'active');
      const todoId = id();
      await hookDb.transact(tx.todos[todoId].update({ text: 'delivered' }));
      const record = await eventually(() => received[0], 'a delivery');
      assert.deepEqual(failures, []);
      assert.equal(record.namespace, 'todos');
      assert.equal(record.action, 'create');
      assert.equal(record.id, todoId);
      assert.equal(record.after.text, 'delivered');
      const manager = hooksApi.webhooks(app.id).manager;
      const page = await eventually(async () => {
        const p = await manager.listEvents(webhook.id);
        return p.events[0]?.status === 'success' ? p : undefined;
      }, 'a successful event');
      const [event] = page.events;
      assert.equal(event.attempts[0].statusCode, 200);
      assert.equal(event.attempts[0].success, true);
      assert.equal((await manager.getEvent(webhook.id, event.isn)).isn, event.isn);
      const payload = await manager.getPayload(webhook.id, event.isn);
      assert.equal(payload.data[0].id, todoId);
      const resent = await manager.resendEvent(webhook.id, event.isn);
      assert.equal(resent.status, 'pending');
      await eventually(() => received[1], 'the resent delivery');
      assert.deepEqual(received[1], received[0]);
      const jwks = await hookDb.webhooks.fetchJwks();
      assert.equal(jwks.keys[0].kty, 'OKP');
    } finally {
      receiver.close();
    }
  });

  // ---- Permission rules are full CEL (issue 13) ----------------------------------------------
  // The server compiles rules with CEL (server/src/instant/db/cel.clj: standard library, strings
  // and math extensions, cel.bind, data.ref/auth.ref, request) and validates them on push
  // (server/src/instant/model/rule.clj `validation-errors`, tests in
  // server/test/instant/model/rule_test.clj).
  const rulesSchema = i.schema({
    entities: {
      docs: i.entity({ title: i.string(), n: i.number(), owner: i.string(), tags: i.json(), createdAt: i.string() }),
      labels: i.entity({ name: i.string() }),
      roles: i.entity({ name: i.string() }),
      $users: i.entity({ email: i.string().unique().indexed().optional() }),
      $files: i.entity({ path: i.string().unique().indexed(), url: i.string() }),
    },
    links: {
      docLabels: { forward: { on: 'docs', has: 'many', label: 'labels' }, reverse: { on: 'labels', has: 'many', label: 'docs' } },
      userRoles: { forward: { on: 'roles', has: 'many', label: 'users' }, reverse: { on: '$users', has: 'many', label: 'roles' } },
    },
  });
  const cel = {};
  await check('cel.setup', async () => {
    const { app } = await api.createApp({ title: 'Rules', schema: rulesSchema });
    cel.app = app;
    cel.db = init({ appId: app.id, adminToken: app.adminToken, apiURI, schema: rulesSchema });
    cel.token = await cel.db.auth.createToken({ email: 'ada@example.com' });
    cel.user = (await cel.db.auth.getUser({ email: 'ada@example.com' })).id;
    [cel.d1, cel.d2, cel.red, cel.admin] = [id(), id(), id(), id()];
    await cel.db.transact([
      tx.docs[cel.d1].update({ title: 'public/a', n: 4, owner: cel.user, tags: ['x', 'y'], createdAt: '2024-01-02T00:00:00Z' }),
      tx.docs[cel.d2].update({ title: 'private/b', n: 1, owner: 'someone', tags: [], createdAt: '2024-01-02T00:00:00Z' }),
      tx.labels[cel.red].update({ name: 'red' }).link({ docs: cel.d1 }),
      tx.roles[cel.admin].update({ name: 'admin' }).link({ users: cel.user }),
    ]);
  });
  const visibleDocs = async (rules, opts = {}) => {
    const { result } = await cel.db.asUser({ token: cel.token }).debugQuery({ docs: {} }, { rules, ...opts });
    return result.docs.map((d) => (d.id === cel.d1 ? 'd1' : 'd2')).sort();
  };
  for (const [name, rule, expected] of [
    ['startsWith', "data.title.startsWith('public/')", ['d1']],
    ['endsWithOnAuth', "auth.email.endsWith('@example.com')", ['d1', 'd2']],
    ['sizeFunction', 'size(data.tags) > 0', ['d1']],
    ['sizeMethod', 'data.tags.size() == 0', ['d2']],
    ['matches', "data.title.matches('^private/')", ['d2']],
    ['inList', "'x' in data.tags", ['d1']],
    ['inListLiteral', "data.title in ['public/a', 'nope']", ['d1']],
    ['inMapLiteral', "data.title in {'private/b': true}", ['d2']],
    ['hasMacro', 'has(data.title)', ['d1', 'd2']],
    ['ternary', '(data.n > 2 ? "big" : "small") == "big"', ['d1']],
    ['arithmetic', 'data.n * 2 + 1 == 9', ['d1']],
    ['modulo', 'int(data.n) % 2 == 0', ['d1']],
    ['concat', "data.title + '!' == 'private/b!'", ['d2']],
    ['timestampCompare', 'timestamp(data.createdAt) < request.time', ['d1', 'd2']],
    ['getTime', 'timestamp(data.createdAt).getTime() == 1704153600', ['d1', 'd2']],
    ['authId', 'data.owner == auth.id', ['d1']],
    ['existsMacro', "data.tags.exists(t, t == 'y')", ['d1']],
    ['allMacroEmptyList', 'data.tags.all(t, size(t) == 1)', ['d1', 'd2']],
    ['filterMacro', "data.tags.filter(t, t != 'x') == ['y']", ['d1']],
    ['mapMacro', "data.tags.map(t, t + t) == ['xx', 'yy']", ['d1']],
    ['missingKeyIsNull', 'data.nothing == null', ['d1', 'd2']],
    ['stringsExtension', "data.title.upperAscii().split('/')[0] == 'PUBLIC'", ['d1']],
    ['mathExtension', 'math.greatest(data.n, 2) == 4', ['d1']],
    ['dataRef', "'red' in data.ref('labels.name')", ['d1']],
    ['authRef', "'admin' in auth.ref('$user.roles.name')", ['d1', 'd2']],
    ['typeConversion', "string(data.n) == '4' && double(data.n) == 4.0", ['d1']],
    ['logicShortCircuit', 'has(data.title) || data.nothing.deeper == 1', ['d1', 'd2']],
  ]) {
    await check(`cel.eval.${name}`, async () => {
      assert.deepEqual(await visibleDocs({ docs: { allow: { view: rule } } }), expected);
    });
  }
  await check('cel.eval.bind', async () => {
    const rules = { docs: { bind: ['isMine', 'data.owner == auth.id'], allow: { view: 'isMine' } } };
    assert.deepEqual(await visibleDocs(rules), ['d1']);
  });
  await check('cel.eval.bindObjectFormAndChains', async () => {
    const rules = { docs: { bind: { big: 'data.n > 2', bigAndMine: 'big && data.owner == auth.id' }, allow: { view: 'bigAndMine' } } };
    assert.deepEqual(await visibleDocs(rules), ['d1']);
  });
  await check('cel.eval.defaultBindAndRule', async () => {
    const rules = { $default: { bind: ['isPublic', "data.title.startsWith('public')"], allow: { $default: 'isPublic' } } };
    assert.deepEqual(await visibleDocs(rules), ['d1']);
  });
  await check('cel.eval.ruleParams', async () => {
    const rules = { docs: { allow: { view: 'ruleParams.tag in data.tags' } } };
    assert.deepEqual(await visibleDocs(rules, { ruleParams: { tag: 'y' } }), ['d1']);
  });
  await check('cel.eval.guestAuthIdIsNull', async () => {
    const { result } = await cel.db.asUser({ guest: true }).debugQuery({ docs: {} }, { rules: { docs: { allow: { view: 'auth.id == null' } } } });
    assert.equal(result.docs.length, 2);
  });
  await check('cel.eval.divideByZero', async () => {
    // util/exception.clj `throw-permission-evaluation-failed!`: hint.error.type is the CEL error code.
    const err = await expectApiError(
      cel.db.asUser({ token: cel.token }).debugQuery({ docs: {} }, { rules: { docs: { allow: { view: 'data.n / 0 == 1' } } } }),
      { type: 'permission-evaluation-failed' },
    );
    assert.deepEqual(err.hint.rule, ['docs', 'view']);
    assert.equal(err.hint.error.type, 'DIVIDE_BY_ZERO');
    assert.match(err.message, /^Could not evaluate permission rule for `docs.view`\./);
  });
  await check('cel.eval.nonBooleanResult', async () => {
    await expectApiError(
      cel.db.asUser({ token: cel.token }).debugQuery({ docs: {} }, { rules: { docs: { allow: { view: 'data.title' } } } }),
      { type: 'permission-evaluation-failed' },
    );
  });
  // Writes: newData in create/update rules, request.modifiedFields.
  const pushRules = (rules) => api.pushPerms(cel.app.id, { perms: rules });
  const asAda = () => cel.db.asUser({ token: cel.token });
  await check('cel.write.newDataAllowed', async () => {
    await pushRules({ docs: { allow: { view: 'true', update: 'newData.n > data.n', create: 'newData.title.size() < 20' } } });
    await asAda().transact(tx.docs[cel.d2].update({ n: 2 }));
    const { docs } = await cel.db.query({ docs: { $: { where: { id: cel.d2 } } } });
    assert.equal(docs[0].n, 2);
  });
  await check('cel.write.newDataDenied', async () => {
    await expectApiError(asAda().transact(tx.docs[cel.d2].update({ n: 0 })), { type: 'permission-denied' });
  });
  await check('cel.write.createRule', async () => {
    await asAda().transact(tx.docs[id()].update({ title: 'short', n: 1, owner: 'x', tags: [], createdAt: '2024-01-01' }));
    await expectApiError(
      asAda().transact(tx.docs[id()].update({ title: 'a title that is far too long', n: 1, owner: 'x', tags: [], createdAt: '2024-01-01' })),
      { type: 'permission-denied' },
    );
  });
  await check('cel.write.modifiedFields', async () => {
    await pushRules({ docs: { allow: { view: 'true', update: "!('owner' in request.modifiedFields)" } } });
    await asAda().transact(tx.docs[cel.d1].update({ title: 'public/renamed' }));
    await expectApiError(asAda().transact(tx.docs[cel.d1].update({ owner: 'me' })), { type: 'permission-denied' });
  });
  await check('cel.files.dataPath', async () => {
    // `$files` rules see `data.path` (storage/coordinator.clj evaluates them on {"path" path}).
    await pushRules({ $files: { allow: { view: "data.path.startsWith('public/')", create: "data.path.startsWith(auth.id + '/')" } } });
    await cel.db.storage.uploadFile('public/p.txt', Buffer.from('p'));
    await cel.db.storage.uploadFile('secret/s.txt', Buffer.from('s'));
    const { $files } = await asAda().query({ $files: {} });
    assert.deepEqual($files.map((f) => f.path), ['public/p.txt']);
  });
  await check('cel.files.createOwnPrefix', async () => {
    const { data } = await asAda().storage.uploadFile(`${cel.user}/mine.txt`, Buffer.from('m'));
    assert.ok(data.id);
    await expectApiError(asAda().storage.uploadFile('someone/else.txt', Buffer.from('x')), { type: 'permission-denied' });
  });
  // Validation on push: 400 validation-failed, every error with its `in` path (rule_test.clj).
  const refused = async (rules) => {
    const err = await expectApiError(pushRules(rules), { type: 'validation-failed' });
    assert.equal(err.hint['data-type'], 'rule');
    return err.hint.errors;
  };
  await check('cel.validate.syntaxError', async () => {
    const errors = await refused({ docs: { allow: { view: 'data.title ==' } } });
    assert.deepEqual(errors.map((e) => e.in), [['docs', 'allow', 'view']]);
    assert.match(errors[0].message, /Syntax error/);
  });
  await check('cel.validate.undeclaredReference', async () => {
    const errors = await refused({ docs: { allow: { view: 'unknownThing == 1' } } });
    assert.deepEqual(errors, [{ message: "undeclared reference to 'unknownThing' (in container '')", in: ['docs', 'allow', 'view'] }]);
  });
  await check('cel.validate.newDataOnlyForWrites', async () => {
    const errors = await refused({ docs: { allow: { view: 'newData.n > 1', update: 'newData.n > 1' } } });
    assert.deepEqual(errors, [{ message: "undeclared reference to 'newData' (in container '')", in: ['docs', 'allow', 'view'] }]);
  });
  await check('cel.validate.typeCheck', async () => {
    // rule_test.clj `invalid-syntax-fails`.
    const errors = await refused({ myetype: { allow: { view: '!10' } } });
    assert.deepEqual(errors, [{ message: "found no matching overload for '!_' applied to '(int)' (candidates: (bool))", in: ['myetype', 'allow', 'view'] }]);
  });
  await check('cel.validate.authRefPrefix', async () => {
    // rule_test.clj `invalid-auth-ref-fails`.
    const errors = await refused({ myetype: { allow: { view: "1 in auth.ref('$users.id')" } } });
    assert.deepEqual(errors, [{ message: 'auth.ref arg must start with `$user.`', in: ['myetype', 'allow', 'view'] }]);
  });
  await check('cel.validate.cyclicBinds', async () => {
    // rule_test.clj `does-not-allow-cyclic-dependencies`.
    const errors = await refused({ myetype: { bind: ['a', 'b', 'b', 'a'], allow: { view: 'a' } } });
    assert.deepEqual(errors, [{ message: 'The binds have a cyclic dependency a -> b -> a', in: ['myetype', 'allow', 'view'] }]);
  });
  await check('cel.validate.duplicateBind', async () => {
    const errors = await refused({ myetype: { bind: ['duplicate', 'true', 'duplicate', 'false'], allow: { view: 'duplicate' } } });
    assert.deepEqual(errors, [{ message: 'bind should only contain a given variable name once', in: ['myetype', 'bind', 'duplicate'] }]);
  });
  await check('cel.validate.unevenBinds', async () => {
    const errors = await refused({ myetype: { bind: ['duplicate'], allow: { view: 'true' } }, 'new-etype': { allow: { view: 'true' } } });
    assert.deepEqual(errors, [
      { message: 'bind should have an even number of elements', in: ['myetype', 'bind'] },
      { message: 'bind should have an even number of elements', in: ['myetype', 'allow', 'view'] },
    ]);
  });
  await check('cel.validate.reservedNamespace', async () => {
    const errors = await refused({ $codes: { allow: { update: 'true' } } });
    assert.deepEqual(errors.map((e) => e.in), [['$codes', 'allow', 'view'], ['$codes', 'allow', 'create'], ['$codes', 'allow', 'update'], ['$codes', 'allow', 'delete']]);
    assert.equal(errors[0].message, 'The $codes namespace is a reserved internal namespace that does not yet support rules.');
  });
  await check('cel.validate.usersDelete', async () => {
    const errors = await refused({ $users: { allow: { delete: 'true' } } });
    assert.deepEqual(errors[0].in, ['$users', 'allow', 'delete']);
  });
  await check('cel.validate.fieldRuleOnId', async () => {
    const errors = await refused({ myetype: { fields: { id: '1 + 1' } } });
    assert.deepEqual(errors, [{ in: ['myetype', 'fields'], message: 'You cannot set field rules for `id`. Use myetype -> allow -> view instead' }]);
  });
  await check('cel.validate.fieldRuleCompiled', async () => {
    const errors = await refused({ myetype: { fields: { email: '!10' } } });
    assert.deepEqual(errors.map((e) => e.in), [['myetype', 'fields', 'email']]);
  });
  await check('cel.validate.rateLimitsShape', async () => {
    const errors = await refused({ $rateLimits: 'bad' });
    assert.deepEqual(errors, [{ message: '$rateLimits must be an object', in: ['$rateLimits'] }]);
  });
  await check('cel.validate.everyErrorReported', async () => {
    const errors = await refused({ docs: { allow: { view: 'a ==', create: 'nope', delete: 'true' } }, labels: { allow: { update: '!1' } } });
    assert.deepEqual(errors.map((e) => e.in), [['docs', 'allow', 'view'], ['docs', 'allow', 'create'], ['labels', 'allow', 'update']]);
  });
  await check('cel.validate.messageListsErrors', async () => {
    const err = await expectApiError(pushRules({ docs: { allow: { view: 'nope' } } }), { type: 'validation-failed' });
    assert.equal(err.message, "Validation failed for rule: undeclared reference to 'nope' (in container '')");
  });
  await check('cel.validate.dashRulesRoute', async () => {
    // The CLI pushes with POST /dash/apps/:id/rules (dash/routes.clj `rules-post`).
    const res = await fetch(`${apiURI}/dash/apps/${cel.app.id}/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platformToken}` },
      body: JSON.stringify({ code: { docs: { allow: { view: 'data.x ==' } } } }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.deepEqual(body.hint.errors[0].in, ['docs', 'allow', 'view']);
  });
  await check('cel.validate.createAppRefusesBadRules', async () => {
    await expectApiError(api.createApp({ title: 'bad rules', perms: { docs: { allow: { view: 'nope' } } } }), { type: 'validation-failed' });
  });
  await check('cel.validate.validRulesStored', async () => {
    const good = {
      $default: { bind: ['signedIn', 'auth.id != null'] },
      docs: { bind: ['isOwner', 'data.owner == auth.id'], allow: { view: 'signedIn && (isOwner || size(data.tags) > 0)', update: "isOwner && !('owner' in request.modifiedFields)", create: 'newData.n >= 0' } },
      $files: { allow: { view: "data.path.startsWith('public/')" } },
      $users: { allow: { view: 'auth.id == data.id', delete: 'false' } },
    };
    const { perms: stored } = await pushRules(good);
    assert.deepEqual(stored, good);
    assert.deepEqual((await api.getPerms(cel.app.id)).perms, good);
  });
  await check('cel.cleanup', async () => {
    await api.deleteApp(cel.app.id);
  });

  // ---- Deletes destroy data (issue 13) --------------------------------------------------------
  // Upstream's `delete-attr` deletes the attr's triples (server/src/instant/db/model/attr.clj,
  // `delete-multi!`), so a deleted namespace, attribute or link leaves nothing behind.
  const notesSchema = i.schema({
    entities: {
      notes: i.entity({ body: i.string(), pinned: i.boolean().optional() }),
      boards: i.entity({ name: i.string(), color: i.string().optional() }),
    },
    links: { boardNotes: { forward: { on: 'boards', has: 'many', label: 'notes' }, reverse: { on: 'notes', has: 'one', label: 'board' } } },
  });
  const del = {};
  await check('deletes.setup', async () => {
    const { app } = await api.createApp({ title: 'Deletes', schema: notesSchema });
    del.app = app;
    del.db = init({ appId: app.id, adminToken: app.adminToken, apiURI });
    del.note = id();
    del.board = id();
    await del.db.transact([
      tx.notes[del.note].update({ body: 'old', pinned: true }),
      tx.boards[del.board].update({ name: 'b', color: 'red' }).link({ notes: del.note }),
    ]);
    const { boards } = await del.db.query({ boards: { notes: {} } });
    assert.equal(boards[0].notes[0].body, 'old');
  });
  const pushOverwrite = (next) => awaitProgress(api.schemaPush(del.app.id, { schema: next, overwrite: true }));
  await check('deletes.attribute.valuesGone', async () => {
    await pushOverwrite(i.schema({
      entities: { notes: notesSchema.entities.notes, boards: i.entity({ name: i.string() }) },
      links: notesSchema.links,
    }));
    const { boards } = await del.db.query({ boards: {} });
    assert.equal(boards[0].color, undefined);
    assert.equal(boards[0].name, 'b');
  });
  await check('deletes.attribute.recreatedEmpty', async () => {
    await pushOverwrite(notesSchema);
    const { boards } = await del.db.query({ boards: {} });
    assert.equal(boards[0].color, undefined, 're-created attribute has no old values');
  });
  await check('deletes.link.linksGone', async () => {
    await pushOverwrite(i.schema({ entities: notesSchema.entities }));
    await pushOverwrite(notesSchema);
    const { boards } = await del.db.query({ boards: { notes: {} } });
    assert.deepEqual(boards[0].notes, [], 're-created link has no old links');
  });
  await check('deletes.namespace.entitiesGone', async () => {
    await del.db.transact(tx.boards[del.board].link({ notes: del.note }));
    await pushOverwrite(i.schema({ entities: { boards: notesSchema.entities.boards } }));
    const { notes } = await del.db.query({ notes: {} });
    assert.deepEqual(notes, []);
  });
  await check('deletes.namespace.schemaGone', async () => {
    const { schema: s } = await api.getSchema(del.app.id);
    assert.equal(s.entities.notes, undefined);
  });
  await check('deletes.namespace.recreateWithRequired', async () => {
    const { result } = await pushOverwrite(i.schema({
      entities: { boards: notesSchema.entities.boards, notes: i.entity({ text: i.string() }) },
    }));
    for (const step of result.steps.filter((st) => st.backgroundJob)) {
      assert.equal(step.backgroundJob.status, 'completed', JSON.stringify(step));
    }
    const fresh = id();
    await del.db.transact(tx.notes[fresh].update({ text: 'new' }));
    const { notes } = await del.db.query({ notes: {} });
    assert.deepEqual(notes.map((n) => n.id), [fresh]);
    assert.equal(notes[0].body, undefined);
  });
  await check('deletes.namespace.oldIdIsNew', async () => {
    await del.db.transact(tx.notes[del.note].update({ text: 'again' }));
    const { notes } = await del.db.query({ notes: { $: { where: { id: del.note } } } });
    assert.deepEqual(Object.keys(notes[0]).sort(), ['id', 'text']);
  });

  // ---- Dashboard routes the CLI uses (issue 13) ----------------------------------------------
  // Raw HTTP: the SDK has no client for them; `instant-cli` calls them (client/packages/cli).
  async function dash(method, path, body, token = platformToken) {
    const res = await fetch(`${apiURI}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, body: json };
  }
  await check('dash.createApp.returnsAdminToken', async () => {
    // dash/routes.clj `apps-post` answers `app-model/create!`, which selects the token
    // (model/app.clj line 83: `[:token_insert.token :admin-token]`).
    const appIdNew = id();
    const token = id();
    const { status, body } = await dash('POST', '/dash/apps', { id: appIdNew, title: 'From CLI', admin_token: token });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.app.id, appIdNew);
    assert.equal(body.app['admin-token'], token);
    assert.equal(body.app.title, 'From CLI');
    del.dashApp = appIdNew;
    del.dashToken = token;
  });
  await check('dash.createApp.tokenWorks', async () => {
    const fresh = init({ appId: del.dashApp, adminToken: del.dashToken, apiURI });
    const id1 = id();
    await fresh.transact(tx.items[id1].update({ n: 1 }));
    const { items } = await fresh.query({ items: {} });
    assert.deepEqual(items.map((x) => x.id), [id1]);
  });
  await check('dash.createApp.duplicateIdRefused', async () => {
    const { status, body } = await dash('POST', '/dash/apps', { id: del.dashApp, title: 'Again', admin_token: id() });
    assert.equal(status, 400);
    assert.equal(body.type, 'record-not-unique');
  });
  await check('dash.createApp.missingTitle', async () => {
    const { body } = await dash('POST', '/dash/apps', { id: id(), admin_token: id() });
    assert.equal(body.type, 'param-missing');
    assert.deepEqual(body.hint.in, ['body', 'title']);
  });
  await check('dash.createApp.badAdminToken', async () => {
    const { body } = await dash('POST', '/dash/apps', { id: id(), title: 'x', admin_token: 'nope' });
    assert.equal(body.type, 'param-malformed');
    assert.deepEqual(body.hint.in, ['body', 'admin_token']);
  });

  // dash/routes.clj lines 720-855 and model/app_auth_data.clj `get-dash-auth-data`.
  const authPath = () => `/dash/apps/${del.app.id}`;
  await check('dash.auth.emptyAnswer', async () => {
    const { status, body } = await dash('GET', `${authPath()}/auth`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.oauth_service_providers, []);
    assert.deepEqual(body.oauth_clients, []);
    // `json_agg` over no rows is SQL NULL.
    assert.equal(body.authorized_redirect_origins, null);
  });
  await check('dash.auth.origin.addGeneric', async () => {
    const { status, body } = await dash('POST', `${authPath()}/authorized_redirect_origins`, { service: 'generic', params: ['example.com'] });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.origin).sort(), ['created_at', 'id', 'params', 'service']);
    assert.deepEqual(body.origin.params, ['example.com']);
    del.origin = body.origin.id;
  });
  await check('dash.auth.origin.listedNewestFirst', async () => {
    await dash('POST', `${authPath()}/authorized_redirect_origins`, { service: 'vercel', params: ['vercel.app', 'my-site'] });
    const { body } = await dash('GET', `${authPath()}/auth`);
    assert.deepEqual(body.authorized_redirect_origins.map((o) => o.service), ['vercel', 'generic']);
  });
  // model/app_authorized_redirect_origin.clj `validation-error`, message for message.
  for (const [name, service, params, message] of [
    ['genericCount', 'generic', [], 'Host should be the only parameter.'],
    ['genericType', 'generic', [1], 'Host should be a string.'],
    ['netlifyCount', 'netlify', ['a', 'b'], 'Netlify should have only the site name param.'],
    ['vercelCount', 'vercel', ['vercel.app'], 'Vercel should have deployment suffix and project name params.'],
    ['schemeCount', 'custom-scheme', [], 'Custom scheme should have only one parameter.'],
    ['schemeReserved', 'custom-scheme', ['https'], 'The scheme `https` is not allowed.'],
    ['unknownService', 'ftp-site', ['x'], 'Unrecognized service ftp-site'],
  ]) {
    await check(`dash.auth.origin.invalid.${name}`, async () => {
      const { status, body } = await dash('POST', `${authPath()}/authorized_redirect_origins`, { service, params });
      assert.equal(status, 400);
      assert.equal(body.type, 'validation-failed');
      assert.equal(body.hint['data-type'], 'origin-request');
      assert.deepEqual(body.hint.errors, [message]);
    });
  }
  await check('dash.auth.origin.customSchemeAllowed', async () => {
    const { status, body } = await dash('POST', `${authPath()}/authorized_redirect_origins`, { service: 'custom-scheme', params: ['myapp'] });
    assert.equal(status, 200, JSON.stringify(body));
    await dash('DELETE', `${authPath()}/authorized_redirect_origins/${body.origin.id}`);
  });
  await check('dash.auth.origin.paramsMissing', async () => {
    const { body } = await dash('POST', `${authPath()}/authorized_redirect_origins`, { service: 'generic' });
    assert.equal(body.type, 'param-missing');
    assert.deepEqual(body.hint.in, ['body', 'params']);
  });
  await check('dash.auth.origin.delete', async () => {
    const { status, body } = await dash('DELETE', `${authPath()}/authorized_redirect_origins/${del.origin}`);
    assert.equal(status, 200);
    assert.equal(body.origin.id, del.origin);
    const again = await dash('DELETE', `${authPath()}/authorized_redirect_origins/${del.origin}`);
    assert.equal(again.body.type, 'record-not-found');
    assert.equal(again.body.hint['record-type'], 'app-authorized-redirect-origin');
  });
  await check('dash.auth.provider.add', async () => {
    const { status, body } = await dash('POST', `${authPath()}/oauth_service_providers`, { provider_name: 'google' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.provider).sort(), ['created_at', 'id', 'provider_name']);
    del.provider = body.provider.id;
  });
  await check('dash.auth.provider.uniqueName', async () => {
    const { body } = await dash('POST', `${authPath()}/oauth_service_providers`, { provider_name: 'google' });
    assert.equal(body.type, 'record-not-unique');
  });
  await check('dash.auth.client.needsDiscoveryEndpoint', async () => {
    const { body } = await dash('POST', `${authPath()}/oauth_clients`, { provider_id: del.provider, client_name: 'google-web', client_id: 'cid' });
    assert.equal(body.type, 'param-missing');
    assert.deepEqual(body.hint.in, ['body', 'discovery_endpoint']);
  });
  await check('dash.auth.client.unknownProvider', async () => {
    const { body } = await dash('POST', `${authPath()}/oauth_clients`, { provider_id: id(), client_name: 'x' });
    assert.equal(body.type, 'record-not-found');
    assert.equal(body.hint['record-type'], 'oauth-service-provider');
  });
  await check('dash.auth.client.badRedirect', async () => {
    const { body } = await dash('POST', `${authPath()}/oauth_clients`, {
      provider_id: del.provider, client_name: 'x', redirect_to: 'http://example.com/cb',
    });
    assert.equal(body.type, 'validation-failed');
    assert.deepEqual(body.hint.errors, ['redirect uri must use the HTTPS scheme']);
  });
  await check('dash.auth.client.add', async () => {
    const { status, body } = await dash('POST', `${authPath()}/oauth_clients`, {
      provider_id: del.provider, client_name: 'google-web', client_id: 'cid', client_secret: 'shh',
      discovery_endpoint: 'https://accounts.google.com/.well-known/openid-configuration', meta: { appType: 'web' },
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.client).sort(), [
      'client_id', 'client_name', 'created_at', 'discovery_endpoint', 'id', 'meta', 'provider_id', 'use_shared_credentials',
    ]);
    assert.equal(body.client.use_shared_credentials, false);
    assert.ok(!JSON.stringify(body).includes('shh'), 'the secret is never served');
    del.client = body.client.id;
  });
  await check('dash.auth.client.listed', async () => {
    const { body } = await dash('GET', `${authPath()}/auth`);
    assert.deepEqual(body.oauth_clients.map((c) => [c.client_name, c.provider_id, c.meta.appType]), [['google-web', del.provider, 'web']]);
    assert.equal(body.oauth_clients[0].redirect_to, null);
  });
  await check('dash.auth.client.update', async () => {
    const { status, body } = await dash('POST', `${authPath()}/oauth_clients/${del.client}`, { client_id: 'cid2', meta: { extra: 1 } });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.client.client_id, 'cid2');
    assert.deepEqual(body.client.meta, { appType: 'web', extra: 1 }, 'meta is deep-merged');
    assert.ok('redirect_to' in body.client);
  });
  await check('dash.auth.client.delete', async () => {
    const { body } = await dash('DELETE', `${authPath()}/oauth_clients/${del.client}`);
    assert.deepEqual(Object.keys(body.client).sort(), ['client_id', 'client_name', 'created_at', 'id', 'provider_id']);
    const again = await dash('DELETE', `${authPath()}/oauth_clients/${del.client}`);
    assert.equal(again.body.hint['record-type'], 'app-oauth-client');
  });
  await check('dash.auth.adminTokenOfOtherAppRefused', async () => {
    // `req->app-accepting-superadmin-or-ref-token!` rethrows `admin-token-mismatch`.
    const { status, body } = await dash('GET', `${authPath()}/auth`, undefined, adminToken);
    assert.equal(status, 400);
    assert.equal(body.hint.reason, 'admin-token-mismatch');
  });
  await check('dash.auth.ownAdminTokenAccepted', async () => {
    const { status } = await dash('GET', `${authPath()}/auth`, undefined, del.app.adminToken);
    assert.equal(status, 200);
  });
  await check('dash.auth.readOnlyScopeCannotWrite', async () => {
    const { body } = await dash('POST', `${authPath()}/oauth_service_providers`, { provider_name: 'github' }, readOnlyToken);
    assert.equal(body.type, 'permission-denied');
    assert.equal(body.hint['required-scope'], 'apps-write');
  });

  await check('dash.cliLogin.ticket', async () => {
    // dash/routes.clj `cli-auth-register-post` / `cli-auth-check-post`; the emulator approves
    // tickets at once when started with `auto_approve_cli_login`.
    const { body: reg } = await dash('POST', '/dash/cli/auth/register', {});
    const { status, body } = await dash('POST', '/dash/cli/auth/check', { secret: reg.secret });
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.token, /^[0-9a-f-]{36}$/);
    del.dashUserToken = body.token;
  });
  // Token kinds per route: `req->auth-user!` (util/http.clj line 65: dashboard refresh tokens
  // only), `req->app-id-authed!` (admin/routes.clj line 59: the app's admin token, or a platform
  // token of the app's creator with the route's scope), `req->superadmin-user!` (platform tokens).
  const adminQuery = (token, app = del.app.id) => fetch(`${apiURI}/admin/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'app-id': app, authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: { notes: {} } }),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
  await check('tokens.admin.personalTokenOfCreator', async () => {
    const { status, body } = await adminQuery(platformToken);
    assert.equal(status, 200, JSON.stringify(body));
  });
  await check('tokens.admin.oauthNeedsDataRead', async () => {
    const { body } = await adminQuery(readOnlyToken);
    assert.equal(body.type, 'permission-denied');
    assert.equal(body.message, 'You are missing the data-read scope');
  });
  await check('tokens.admin.oauthWithDataRead', async () => {
    const { status } = await adminQuery(oauthToken);
    assert.equal(status, 200);
  });
  await check('tokens.admin.otherAppsAdminToken', async () => {
    const { body } = await adminQuery(adminToken);
    assert.equal(body.type, 'record-not-found');
    assert.equal(body.hint['record-type'], 'app-admin-token');
  });
  await check('tokens.admin.dashboardTokenIsNotAnAdminToken', async () => {
    const { body } = await adminQuery(del.dashUserToken);
    assert.equal(body.type, 'record-not-found');
    assert.equal(body.hint['record-type'], 'app-admin-token');
  });
  await check('tokens.dash.meNeedsDashboardToken', async () => {
    const ok = await dash('GET', '/dash/me', undefined, del.dashUserToken);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.email, 'dev@localhost');
    const refused = await dash('GET', '/dash/me', undefined, del.app.adminToken);
    assert.equal(refused.status, 401);
  });
  await check('tokens.superadmin.dashboardTokenRefused', async () => {
    // `req->superadmin-user!` looks a UUID up as a personal access token.
    const { body } = await dash('GET', '/superadmin/apps', undefined, del.dashUserToken);
    assert.equal(body.type, 'record-not-found');
    assert.equal(body.hint['record-type'], 'instant-user');
  });
  await check('tokens.dash.createAppAcceptsSuperadminToken', async () => {
    // `req->auth-user-accepting-superadmin-token!`: a platform token needs apps-write.
    const { body } = await dash('POST', '/dash/apps', { id: id(), title: 'ro', admin_token: id() }, readOnlyToken);
    assert.equal(body.type, 'permission-denied');
    assert.equal(body.hint['required-scope'], 'apps-write');
  });
  await check('tokens.dash.appRoutesAcceptDashboardToken', async () => {
    const { status, body } = await dash('GET', `/dash/apps/${del.app.id}/schema/pull`, undefined, del.dashUserToken);
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.schema);
  });
  await check('dash.deleteApp.personalTokenRefused', async () => {
    // `apps-delete` uses `req->app-and-user!` -> `req->auth-user!` (util/http.clj line 65):
    // only a dashboard refresh token; anything else is the API's one 401.
    const { status, body } = await dash('DELETE', `/dash/apps/${del.dashApp}`);
    assert.equal(status, 401);
    assert.deepEqual(body.hint.args, [{ 'auth?': true }]);
  });
  await check('dash.deleteApp.withDashRoute', async () => {
    // The CLI's `app delete` (client/packages/cli/src/commands/app/delete.ts) uses
    // DELETE /dash/apps/:id; the SDK's deleteApp uses the superadmin route.
    await api.deleteApp(del.app.id);
    const { status, body } = await dash('DELETE', `/dash/apps/${del.dashApp}`, undefined, del.dashUserToken);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.app.id, del.dashApp);
  });

  // ---- Deleting the app ----------------------------------------------------------------------
  await check('platform.deleteApp', async () => {
    const { app } = await api.deleteApp(appId);
    assert.equal(app.id, appId);
    await expectApiError(api.getApp(appId), { type: 'record-not-found' });
  });
  await check('platform.getApps.afterDelete', async () => {
    const { apps } = await api.getApps();
    assert.deepEqual(apps, []);
  });

  // ---- The official instant-cli 1.0.67, scripted (issue 13) ----------------------------------
  // Every command a user runs against `instant dev`, through the published CLI
  // (client/packages/cli/src), in a project directory inside the conformance npm install so
  // the schema file's `@instantdb/admin` import resolves.
  const npmDir = process.env.INSTANTDB_NPM_DIR;
  const cliBin = join(npmDir, 'node_modules', 'instant-cli', 'bin', 'index.js');
  const home = await mkdtemp(join(tmpdir(), 'instant-cli-home-'));
  const project = await mkdtemp(join(npmDir, 'cli-project-'));
  const cliEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), INSTANT_CLI_API_URI: apiURI, INSTANT_CLI_NO_BROWSER: '1', NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
  const cli = (args, extraEnv = {}, cwd = project) => new Promise((resolve) => {
    execFile(process.execPath, [cliBin, ...args], { cwd, env: { ...cliEnv, ...extraEnv }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, out: stdout + stderr });
    });
  });
  const ok = async (args, extraEnv, cwd) => {
    const res = await cli(args, extraEnv, cwd);
    assert.equal(res.code, 0, `instant-cli ${args.join(' ')} failed:\n${res.out.slice(-1500)}`);
    assert.doesNotMatch(res.out, /\[error\]/, res.out.slice(-1500));
    return res;
  };
  const lastJson = (text) => JSON.parse(text.slice(text.search(/^[[{]/m)));
  const c = {};
  try {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'cli-project', version: '1.0.0', dependencies: { '@instantdb/admin': '1.0.67' } }));
    await check('cli.login.ticket', async () => {
      // lib/login.ts: register a ticket, poll check until approved (the emulator approves at once).
      const { out } = await ok(['login', '--headless']);
      assert.match(out, /Successfully logged in as dev@localhost!/);
    });
    await check('cli.info', async () => {
      const { out } = await ok(['info']);
      assert.match(out, /Logged in as dev@localhost/);
      assert.match(out, /CLI Version: v1\.0\.67/);
    });
    await check('cli.init', async () => {
      // `init` creates the app (POST /dash/apps), writes .env with its id and admin token, and
      // pulls the schema and perms files; later commands read the app from .env.
      const dir = await mkdtemp(join(npmDir, 'cli-init-'));
      try {
        await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'cli-init', version: '1.0.0', dependencies: { '@instantdb/admin': '1.0.67' } }));
        const { out } = await ok(['init', '--title', 'Init app', '-p', 'admin', '--yes'], {}, dir);
        assert.match(out, /Created \.env file!/);
        const env = Object.fromEntries((await readFile(join(dir, '.env'), 'utf8')).trim().split('\n').map((l) => l.split('=')));
        assert.match(env.INSTANT_APP_ADMIN_TOKEN, /^[0-9a-f-]{36}$/);
        await readFile(join(dir, 'instant.schema.ts'), 'utf8');
        const { stdout } = await ok(['query', '{$users: {}}', '--admin'], {}, dir);
        assert.deepEqual(lastJson(stdout), { $users: [] }, 'query reads the app and its admin token from .env');
        await ok(['app', 'delete', '--app', env.INSTANT_APP_ID, '--yes'], {}, dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    await check('cli.initWithoutFiles', async () => {
      const { stdout, stderr } = await ok(['init-without-files', '--title', 'CLI app']);
      assert.match(stderr + stdout, /Successfully created new app!/);
      const { app, error } = lastJson(stdout);
      assert.equal(error, null);
      assert.match(app.appId, /^[0-9a-f-]{36}$/);
      assert.match(app.adminToken, /^[0-9a-f-]{36}$/, 'POST /dash/apps answers the admin token');
      Object.assign(c, app);
      c.admin = init({ appId: app.appId, adminToken: app.adminToken, apiURI });
    });
    await check('cli.appList.json', async () => {
      const { stdout } = await ok(['app', 'list', '--json']);
      assert.ok(lastJson(stdout).some((a) => a.id === c.appId && a.title === 'CLI app'));
    });
    await check('cli.pull', async () => {
      const { out } = await ok(['pull', '--app', c.appId, '--yes']);
      assert.match(out, /Wrote schema to instant\.schema\.ts/);
      const schemaFile = await readFile(join(project, 'instant.schema.ts'), 'utf8');
      assert.match(schemaFile, /import \{ i \} from "@instantdb\/admin";/);
      assert.match(schemaFile, /\$users: i\.entity\(/);
      await readFile(join(project, 'instant.perms.ts'), 'utf8');
    });
    const writeSchema = (entities) => writeFile(join(project, 'instant.schema.ts'), `import { i } from "@instantdb/admin";

const _schema = i.schema({
  entities: {
    $users: i.entity({ email: i.string().unique().indexed().optional() }),
${entities}
  },
  links: {},
  rooms: {},
});

type _AppSchema = typeof _schema;
interface AppSchema extends _AppSchema {}
const schema: AppSchema = _schema;

export type { AppSchema };
export default schema;
`);
    const writePerms = (rules) => writeFile(join(project, 'instant.perms.ts'), `import type { InstantRules } from "@instantdb/admin";

const rules = ${JSON.stringify(rules, null, 2)} satisfies InstantRules;

export default rules;
`);
    await check('cli.push.schemaAndPerms', async () => {
      await writeSchema('    notes: i.entity({ body: i.string(), rank: i.number().indexed().optional() }),');
      await writePerms({ notes: { allow: { view: 'auth.id != null', create: 'true' } } });
      const { out } = await ok(['push', '--app', c.appId, '--yes']);
      assert.match(out, /Permissions updated!/);
      const { schema: s } = await api.getSchema(c.appId);
      assert.equal(s.entities.notes.attrs.body.valueType, 'string');
      assert.equal(s.entities.notes.attrs.rank.isIndexed, true);
      assert.deepEqual((await api.getPerms(c.appId)).perms, { notes: { allow: { view: 'auth.id != null', create: 'true' } } });
      c.note = id();
      await c.admin.transact(tx.notes[c.note].update({ body: 'hello', rank: 1 }));
    });
    await check('cli.push.invalidPermsRefused', async () => {
      // model/rule.clj validates every rule on push: the CLI shows the server's refusal.
      await writePerms({ notes: { allow: { view: 'auth.id !=' } } });
      const res = await cli(['push', 'perms', '--app', c.appId, '--yes']);
      assert.match(res.out, /Validation failed for rule|Syntax error|notes/, res.out.slice(-1500));
      assert.deepEqual((await api.getPerms(c.appId)).perms, { notes: { allow: { view: 'auth.id != null', create: 'true' } } });
      await writePerms({ notes: { allow: { view: 'auth.id != null', create: 'true' } } });
    });
    await check('cli.push.rename', async () => {
      await writeSchema('    notes: i.entity({ text: i.string(), rank: i.number().indexed().optional() }),');
      await ok(['push', 'schema', '--app', c.appId, '--rename', 'notes.body:notes.text', '--yes']);
      const { notes } = await c.admin.query({ notes: {} });
      assert.deepEqual(notes.map((n) => n.text), ['hello'], 'renamed with its data');
    });
    await check('cli.query.loginTokenIsNotAnAdminToken', async () => {
      // admin/routes.clj `req->app-id-authed!`: a dashboard token is looked up as an admin token.
      const res = await cli(['query', '{notes: {}}', '--admin', '--app', c.appId]);
      assert.match(res.out, /This admin token may be expired or invalid/);
    });
    const withAdmin = () => ({ INSTANT_APP_ADMIN_TOKEN: c.adminToken });
    await check('cli.query.admin', async () => {
      const { stdout } = await ok(['query', '{notes: {}}', '--admin', '--app', c.appId], withAdmin());
      assert.deepEqual(lastJson(stdout).notes.map((n) => n.id), [c.note]);
    });
    await check('cli.query.asEmail', async () => {
      await c.admin.auth.createToken({ email: 'cli@example.com' });
      const { stdout } = await ok(['query', '{notes: {}}', '--as-email', 'cli@example.com', '--app', c.appId], withAdmin());
      assert.deepEqual(lastJson(stdout).notes.map((n) => n.id), [c.note]);
    });
    await check('cli.query.asGuest', async () => {
      const { stdout } = await ok(['query', '{notes: {}}', '--as-guest', '--app', c.appId], withAdmin());
      assert.deepEqual(lastJson(stdout).notes, [], 'view: auth.id != null hides notes from guests');
    });
    await check('cli.query.asToken', async () => {
      const token = await c.admin.auth.createToken({ email: 'cli@example.com' });
      const { stdout } = await ok(['query', '{notes: {}}', '--as-token', token, '--app', c.appId], withAdmin());
      assert.equal(lastJson(stdout).notes.length, 1);
    });
    await check('cli.backup.list', async () => {
      const { stdout } = await ok(['backup', 'list', '--json', '--app', c.appId], withAdmin());
      assert.deepEqual(lastJson(stdout), []);
    });
    await check('cli.webhook.addListDisableDelete', async () => {
      const { out } = await ok(['webhook', 'add', '--url', 'https://hooks.example.com/cli', '--namespaces', 'notes', '--actions', 'create,update', '--app', c.appId], withAdmin());
      assert.match(out, /Status: active/);
      const [hook] = lastJson((await ok(['webhook', 'list', '--json', '--app', c.appId], withAdmin())).stdout);
      assert.deepEqual([hook.sink.url, hook.namespaces, hook.actions], ['https://hooks.example.com/cli', ['notes'], ['create', 'update']]);
      const disabled = await ok(['webhook', 'disable', '--id', hook.id, '--reason', 'maintenance', '--app', c.appId], withAdmin());
      assert.match(disabled.out, /Disabled reason: maintenance/);
      const events = await ok(['webhook', 'event', 'list', '--webhook-id', hook.id, '--json', '--app', c.appId], withAdmin());
      assert.deepEqual(lastJson(events.stdout), []);
      await ok(['webhook', 'delete', '--id', hook.id, '--app', c.appId, '--yes'], withAdmin());
      assert.deepEqual(lastJson((await ok(['webhook', 'list', '--json', '--app', c.appId], withAdmin())).stdout), []);
    });
    await check('cli.auth.origin', async () => {
      const added = await ok(['auth', 'origin', 'add', '--type', 'website', '--url', 'example.com', '--app', c.appId], withAdmin());
      assert.match(added.out, /Type: Website/);
      const [origin] = lastJson((await ok(['auth', 'origin', 'list', '--json', '--app', c.appId], withAdmin())).stdout);
      assert.deepEqual([origin.service, origin.params], ['generic', ['example.com']]);
      const deleted = await ok(['auth', 'origin', 'delete', '--id', origin.id, '--app', c.appId, '--yes'], withAdmin());
      assert.match(deleted.out, /Origin deleted!/);
    });
    await check('cli.auth.client', async () => {
      await ok(['auth', 'client', 'add', '--type', 'github', '--name', 'gh', '--client-id', 'abc', '--client-secret', 'shh', '--custom-redirect-uri', 'https://example.com/oauth/callback', '--app', c.appId, '--yes'], withAdmin());
      const [client] = lastJson((await ok(['auth', 'client', 'list', '--json', '--app', c.appId], withAdmin())).stdout);
      assert.deepEqual([client.client_name, client.client_id, client.redirect_to], ['gh', 'abc', 'https://example.com/oauth/callback']);
      const deleted = await ok(['auth', 'client', 'delete', '--name', 'gh', '--app', c.appId, '--yes'], withAdmin());
      assert.match(deleted.out, /Client Deleted!/);
    });
    await check('cli.explorer', async () => {
      const { out } = await ok(['explorer', '--app', c.appId], withAdmin());
      assert.match(out, /Opening Explorer/);
    });
    await check('cli.push.deleteNamespace', async () => {
      await writeSchema('    tasks: i.entity({ title: i.string() }),');
      await writePerms({});
      await ok(['push', '--app', c.appId, '--yes'], withAdmin());
      const { notes } = await c.admin.query({ notes: {} });
      assert.deepEqual(notes, [], 'a deleted namespace takes its data');
    });
    await check('cli.initTemp.claim', async () => {
      const { stdout } = await ok(['init-without-files', '--temp', '--title', 'CLI temp']);
      const { app } = lastJson(stdout);
      const claimed = await ok(['claim'], { INSTANT_APP_ID: app.appId, INSTANT_APP_ADMIN_TOKEN: app.adminToken });
      assert.match(claimed.out, /App claimed!/);
      const { apps } = await api.getApps();
      assert.ok(apps.some((a) => a.id === app.appId), 'the claimed app is now the user\'s');
      c.temp = app.appId;
    });
    await check('cli.appDelete', async () => {
      for (const appId of [c.appId, c.temp]) {
        const { out } = await ok(['app', 'delete', '--app', appId, '--yes']);
        assert.match(out, /Deleted app/);
      }
      const { stdout } = await ok(['app', 'list', '--json']);
      assert.deepEqual(lastJson(stdout), []);
    });
    await check('cli.logout', async () => {
      await ok(['logout']);
      const res = await cli(['info']);
      assert.doesNotMatch(res.out, /Logged in as/, res.out);
    });
  } finally {
    await rm(project, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }

  return { results, calls };
});
