// Conformance driver for instantdb-admin's `tx` builder (xtask/conformance/src/tx.rs): builds
// each transaction with the official `tx` / `lookup` of `@instantdb/admin`, sends it through the
// real `db.transact` with `fetch` stubbed out, and answers the exact request body the SDK would
// POST to /admin/transact (the steps after the SDK's own chunk flattening and JSON.stringify).
//
// `cargo xtask bench tx` sends {bench: {warmup, iterations}} instead: the time per iteration of
// building the 100-chunk transaction of crates/instantdb-admin/benches/tx.rs and serializing
// the body `db.transact` posts (the SDK's `getOps` flattening, then JSON.stringify).
//
// Input: {chunks: [{ns, id, ops: [{action, args?, opts?}]}], single: bool}
//   id:   {uuid: s} | {lookup: [attr, value]} (tx[ns][lookup(attr, value)])
//         | {lookupMethod: [attr, value]} (tx[ns].lookup(attr, value)) | {raw: s} (tx[ns][s])
//   args: JSON where {"$lookup": [attr, value]} is lookup(attr, value) and {"$date": ms} is
//         new Date(ms)
import { load, serve } from './lib/driver.mjs';

const { init, tx, lookup } = await load('@instantdb/admin');
const { getOps } = await load('@instantdb/core');

let captured = null;
globalThis.fetch = async (_url, request) => {
  captured = request.body;
  return new Response(JSON.stringify({ 'tx-id': 1 }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
};

const db = init({
  appId: '00000000-0000-4000-8000-0000000000aa',
  adminToken: 'conformance-admin-token',
  apiURI: 'http://127.0.0.1:9',
});

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$lookup') return lookup(...value.$lookup);
    if (keys.length === 1 && keys[0] === '$date') return new Date(value.$date);
    return Object.fromEntries(keys.map((k) => [k, decode(value[k])]));
  }
  return value;
}

function chunk(spec) {
  const ns = tx[spec.ns];
  let c;
  if ('uuid' in spec.id) c = ns[spec.id.uuid];
  else if ('lookup' in spec.id) c = ns[lookup(...spec.id.lookup)];
  else if ('lookupMethod' in spec.id) c = ns.lookup(...spec.id.lookupMethod);
  else c = ns[spec.id.raw];
  for (const op of spec.ops) {
    if (op.action === 'delete') c = c.delete();
    else if (op.opts !== undefined) c = c[op.action](decode(op.args), op.opts);
    else c = c[op.action](decode(op.args));
  }
  return c;
}

function benchTransaction(ids) {
  return ids.map(([goal, todo], n) =>
    tx.goals[goal]
      .update({ title: `Goal ${n}`, priority: n, done: false, meta: { tags: ['a', 'b'], n } })
      .link({ todos: [todo], owner: lookup('email', 'alyssa@example.com') }),
  );
}

function bench({ warmup, iterations }) {
  const pad = (n) => String(n).padStart(12, '0');
  const ids = Array.from({ length: 100 }, (_, n) => [
    `11111111-1111-4111-8111-${pad(n)}`,
    `22222222-2222-4222-8222-${pad(n)}`,
  ]);
  const once = () =>
    JSON.stringify({
      steps: benchTransaction(ids).flatMap(getOps),
      'throw-on-missing-attrs?': false,
    });
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += once().length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += once().length;
  const elapsed = Number(process.hrtime.bigint() - start);
  return { nsPerIteration: elapsed / iterations, sink };
}

await serve(async (input) => {
  if (input.bench) return bench(input.bench);
  const chunks = input.chunks.map(chunk);
  captured = null;
  await db.transact(input.single ? chunks[0] : chunks);
  return captured;
});
