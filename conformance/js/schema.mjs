// Conformance driver for instantdb-schema (xtask/conformance/src/schema.rs): builds schemas with
// the official `i` builder, converts API schemas and runs the client-side diff, answering one JSON
// line per input line (see lib/driver.mjs).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { load, serve } from './lib/driver.mjs';

const { i } = await load('@instantdb/core');
const platform = await load('@instantdb/platform');
// apiSchemaToAttrs is not exported from the package root; load its module file directly.
const require = createRequire(join(process.env.INSTANTDB_NPM_DIR, 'package.json'));
const { apiSchemaToAttrs } = require(
  join(dirname(require.resolve('@instantdb/platform')), 'api.js'),
);

function attr(spec) {
  let def = i[spec.type]();
  for (const modifier of spec.modifiers) def = def[modifier]();
  return def;
}

function entity(attrs) {
  return i.entity(Object.fromEntries(attrs.map(([label, spec]) => [label, attr(spec)])));
}

// spec: {entities: [[name, [[label, attrSpec]]]], links: [[name, linkJson]],
//        rooms: [[name, {presence: attrs, topics: null | [[topic, attrs]]}]]}
function buildSchema(spec) {
  const entities = Object.fromEntries(spec.entities.map(([name, attrs]) => [name, entity(attrs)]));
  const links = Object.fromEntries(spec.links);
  const rooms = Object.fromEntries(
    spec.rooms.map(([name, room]) => {
      const def = { presence: entity(room.presence) };
      if (room.topics) {
        def.topics = Object.fromEntries(room.topics.map(([t, attrs]) => [t, entity(attrs)]));
      }
      return [name, def];
    }),
  );
  return i.schema({ entities, links, rooms });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Replaces generated UUIDs by `<uuid:N>`, numbered in order of first appearance. */
function normaliseUuids(value) {
  const seen = new Map();
  const walk = (v) => {
    if (typeof v === 'string' && UUID.test(v)) {
      if (!seen.has(v)) seen.set(v, `<uuid:${seen.size}>`);
      return seen.get(v);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value);
}

async function diff({ oldApi, newWire, renames }) {
  const current = platform.apiSchemaToInstantSchemaDef(oldApi);
  const attrs = apiSchemaToAttrs(oldApi);
  const sys = platform.collectSystemCatalogIdentNames(attrs);
  let selector;
  try {
    selector = platform.buildAutoRenameSelector(renames);
  } catch (e) {
    return { renameError: e.message };
  }
  const txs = await platform.diffSchemas(current, JSON.parse(newWire), selector, sys);
  let steps;
  try {
    steps = platform.convertTxSteps(txs, attrs);
  } catch (e) {
    return { txs, convertError: e.message };
  }
  const translated = platform.translatePlanSteps(steps, attrs);
  return {
    txs,
    steps: JSON.stringify(normaliseUuids(steps)),
    translated: JSON.stringify(normaliseUuids(translated)),
  };
}

await serve(async (input) => {
  switch (input.kind) {
    case 'wire':
      return JSON.stringify(buildSchema(input.spec));
    case 'apiToDef':
      return {
        wire: JSON.stringify(platform.apiSchemaToInstantSchemaDef(input.api)),
        attrIds: apiSchemaToAttrs(input.api).map((a) => a.id),
      };
    case 'diff':
      return diff(input);
    default:
      throw new Error(`unknown kind ${input.kind}`);
  }
});
