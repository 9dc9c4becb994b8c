// The wire recorder's driver (`cargo xtask conformance record`, xtask/conformance/src/record.rs):
// makes one official-SDK call, described as data by a catalog scenario's `args`, against the
// loopback recorder whose URL is `api`, and answers the call's result or error.
//
// Input line: {"sdk": "@instantdb/platform" | "@instantdb/admin", "api": "http://127.0.0.1:N",
//              "args": {"client": {...}, "chain": [...]}}
// - `client`: options merged into the client's constructor options (`new PlatformApi({auth,
//   apiURI})` / `init({appId, adminToken, apiURI})`); a key set to null is removed, so
//   `{"auth": null}` builds a client without auth.
// - `chain`: the call, one step at a time from the client: a string reads a property
//   (`"manager"`), an array `[method, ...arguments]` calls a method. The last value is awaited.
// - Arguments are JSON, with tagged objects for what JSON cannot say: `{"$tx": [ns, id, [op,
//   ...args]...]}` is `tx[ns][id].op(...args)...`, `{"$lookup": [attr, value]}` is
//   `lookup(attr, value)`, `{"$date": iso}`, `{"$undefined": true}`, `{"$buffer": text}` (a Node
//   Buffer), `{"$bytes": [n...]}` (a Uint8Array), `{"$readable": [text...]}` (a Node Readable of
//   Buffers), `{"$webStream": [text...]}` (a web ReadableStream of bytes). In every string
//   `{API}` is the recorder's URL. `{"$schema": {"entities": {ns: {attr: [type, ...modifiers]}},
//   "links": {...}}}` is the `i.schema(...)` those builder calls make.
// - `from: "module"` starts the chain at the SDK's module instead of a client (free functions
//   such as `exchangeCodeForToken`); a step `["new Name", ...arguments]` constructs `Name`.
// - `redact`: result keys whose values depend on the clock, with the text that replaces them.
// Output: {"ok": {"ok": true, "result": ..., "warnings": [...]}} or
//         {"ok": {"ok": false, "error": {name, message, ...own fields}, "warnings": [...]}}.
import { Readable } from 'node:stream';
import { load, serve } from './lib/driver.mjs';

const APP_ID = '00000000-0000-0000-0000-0000000000aa';

const platform = await load('@instantdb/platform');
const admin = await load('@instantdb/admin');

let apiBase = '';
let schemaBuilder = platform.i;

// `{"$schema": {"entities": {ns: {attr: [type, ...modifiers]}}, "links": {...}}}` is
// `i.schema({entities: {ns: i.entity({attr: i.type().modifier()...})}, links})`.
function schemaOf({ entities = {}, links = {} }) {
  const i = schemaBuilder;
  const entity = (attrs) =>
    i.entity(
      Object.fromEntries(
        Object.entries(attrs).map(([name, [type, ...mods]]) => [
          name,
          mods.reduce((attr, mod) => attr[mod](), i[type]()),
        ]),
      ),
    );
  return i.schema({
    entities: Object.fromEntries(Object.entries(entities).map(([ns, a]) => [ns, entity(a)])),
    links,
  });
}

function decode(value) {
  if (typeof value === 'string') return value.replaceAll('{API}', apiBase);
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== 'object') return value;
  if ('$readable' in value) return Readable.from(value.$readable.map((c) => Buffer.from(c)));
  if ('$webStream' in value) {
    const chunks = value.$webStream.map((c) => new TextEncoder().encode(c));
    return new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }
  if ('$undefined' in value) return undefined;
  if ('$date' in value) return new Date(value.$date);
  if ('$buffer' in value) return Buffer.from(value.$buffer);
  if ('$bytes' in value) return new Uint8Array(value.$bytes);
  if ('$schema' in value) return schemaOf(value.$schema);
  if ('$lookup' in value) return admin.lookup(...value.$lookup.map(decode));
  if ('$tx' in value) {
    const [ns, id, ...ops] = value.$tx;
    let chunk = admin.tx[ns][decode(id)];
    for (const [op, ...args] of ops) chunk = chunk[op](...args.map(decode));
    return chunk;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
}

function options(defaults, overrides) {
  const merged = { ...defaults, ...decode(overrides ?? {}) };
  for (const [key, value] of Object.entries(merged)) {
    if (value === null) delete merged[key];
  }
  return merged;
}

function client(sdk, api, overrides) {
  if (sdk === '@instantdb/platform') {
    return new platform.PlatformApi(
      options({ auth: { token: 'test-oauth-token' }, apiURI: api }, overrides),
    );
  }
  if (sdk === '@instantdb/admin') {
    return admin.init(
      options({ appId: APP_ID, adminToken: 'test-admin-token', apiURI: api }, overrides),
    );
  }
  throw new Error(`unknown sdk ${sdk}`);
}

// An error as the catalog shows it: name and message, then the fields the SDK's error classes
// carry (InstantAPIError: status, body; InstantOAuthError: error, errorDescription).
function describeError(err) {
  const out = { name: err?.name ?? 'Error', message: String(err?.message ?? err) };
  for (const key of ['status', 'body', 'error', 'errorDescription']) {
    if (err && typeof err === 'object' && err[key] !== undefined) out[key] = err[key];
  }
  return JSON.parse(JSON.stringify(out));
}

// A result as the catalog shows it: a client-side schema object (`schema` with `entities`)
// is summarised by its entity and link names (`args.schemaSummary`: "entities" leaves the link
// names out, "none" keeps the whole schema; the committed catalog uses all three), which is what
// a Rust replay compares; the values `args.redact` names (time-dependent ones) are replaced by
// a description.
function summarise(value, redact, mode) {
  if (Array.isArray(value)) return value.map((v) => summarise(v, redact, mode));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if (key in redact) {
      out[key] = redact[key];
    } else if (key === 'schema' && mode !== 'none' && v?.entities && !Array.isArray(v.entities)) {
      out[key] = { entities: Object.keys(v.entities) };
      const links = Object.keys(v.links ?? {});
      if (links.length && mode !== 'entities') out[key].links = links;
    } else {
      out[key] = summarise(v, redact, mode);
    }
  }
  return out;
}

await serve(async ({ sdk, api, args }) => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...parts) => warnings.push(parts.join(' '));
  try {
    apiBase = api;
    schemaBuilder = sdk === '@instantdb/admin' ? admin.i : platform.i;
    let value;
    if (args.from === 'module') {
      value = sdk === '@instantdb/platform' ? platform : admin;
    } else {
      value = client(sdk, api, args.client);
    }
    for (const step of args.chain) {
      if (typeof step === 'string') {
        value = value[step];
      } else {
        const [method, ...params] = step;
        if (method.startsWith('new ')) {
          value = new value[method.slice(4)](...params.map(decode));
        } else {
          value = value[method](...params.map(decode));
        }
      }
    }
    const result = await value;
    const plain = result === undefined ? null : JSON.parse(JSON.stringify(result));
    return { ok: true, result: summarise(plain, args.redact ?? {}, args.schemaSummary), warnings };
  } catch (err) {
    return { ok: false, error: describeError(err), warnings };
  } finally {
    console.warn = warn;
  }
});
