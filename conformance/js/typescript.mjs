// Driver for `cargo xtask conformance typescript` and `cargo xtask bench typescript`: runs the
// official generators and parsers of @instantdb/platform 1.0.67, and prettier 3.10.1 (what a
// fresh instant-cli@1.0.67 install resolves), on the requests the Rust suite sends.
import { load, serve } from './lib/driver.mjs';

// Both resolve to CommonJS entry points; their exports may sit on `default`.
const unwrap = (module) => (module.generateSchemaTypescriptFile || module.format ? module : module.default);
const platform = unwrap(await load('@instantdb/platform'));
const prettier = unwrap(await load('prettier'));
const format = (code) => prettier.format(code, { parser: 'typescript' });

// The official parsers' results as JSON text (`JSON.stringify`), or their error message.
function parseSchema(src) {
  try {
    return { json: JSON.stringify(platform.schemaTypescriptFileToInstantSchema(src)) };
  } catch (err) {
    return { error: String(err?.message ?? err) };
  }
}
function parsePerms(src) {
  try {
    return { json: JSON.stringify(platform.permsTypescriptFileToCode(src, 'instant.perms.ts')) };
  } catch (err) {
    return { error: String(err?.message ?? err) };
  }
}

async function generated(raw, parse) {
  const pretty = await format(raw);
  return { raw, pretty, parsedRaw: parse(raw), parsedPretty: parse(pretty) };
}

// Wire schemas and rules arrive as JSON text so that JSON.parse sees the exact key order.
const parseJson = (text) => (text == null ? null : JSON.parse(text));

async function handle(request) {
  switch (request.op) {
    case 'schema': {
      const raw = platform.generateSchemaTypescriptFile(
        parseJson(request.prev),
        JSON.parse(request.wire),
        request.module,
      );
      return generated(raw, parseSchema);
    }
    case 'api': {
      const def = platform.apiSchemaToInstantSchemaDef(JSON.parse(request.api));
      const raw = platform.generateSchemaTypescriptFile(parseJson(request.prev), def, request.module);
      return { def: JSON.stringify(def), ...(await generated(raw, parseSchema)) };
    }
    case 'perms': {
      const raw = platform.generatePermsTypescriptFile(parseJson(request.perms), request.module);
      return generated(raw, parsePerms);
    }
    case 'parseSchema':
      return parseSchema(request.src);
    case 'parsePerms':
      return parsePerms(request.src);
    case 'bench': {
      // Mean time per call, in nanoseconds, of the official parse and codegen on one file.
      const src = request.src;
      const def = platform.schemaTypescriptFileToInstantSchema(src);
      const time = (fn) => {
        for (let i = 0; i < request.warmup; i++) fn();
        const start = process.hrtime.bigint();
        for (let i = 0; i < request.iterations; i++) fn();
        return Number(process.hrtime.bigint() - start) / request.iterations;
      };
      return {
        parse: time(() => platform.schemaTypescriptFileToInstantSchema(src)),
        codegen: time(() => platform.generateSchemaTypescriptFile(def, def, '@instantdb/core')),
      };
    }
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

await serve(handle);
