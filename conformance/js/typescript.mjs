// Driver for `cargo xtask conformance typescript` and `cargo xtask bench typescript`: runs the
// official generators and parsers of @instantdb/platform 1.0.67, and prettier 3.10.1 (what a
// fresh instant-cli@1.0.67 install resolves), on the requests the Rust suite sends.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
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

// Hand-written files are run the way instant-cli@1.0.67 loads them (dist/old.js
// `readLocalSchemaFile` / `readLocalPermsFile` through dist/util/loadConfig.js): unconfig's
// `loadConfig` over `instant.schema` / `instant.perms` with instant-cli's extensions, no merge,
// the `__esModule` marker removed. The files are written under the npm install so that
// `@instantdb/core` resolves from its node_modules.
const npmRequire = createRequire(join(process.env.INSTANTDB_NPM_DIR, 'package.json'));
const unconfig = await import(pathToFileURL(npmRequire.resolve('unconfig')).href);
const handwrittenDir = join(process.env.INSTANTDB_NPM_DIR, 'handwritten');
let caseNumber = 0;
// instant-cli's `--experimental-type-preservation` merge (not in its exports map: by path).
const { mergeSchema } = await import(
  pathToFileURL(join(process.env.INSTANTDB_NPM_DIR, 'node_modules/instant-cli/dist/util/mergeSchema.js')).href
);

async function execute(request) {
  const dir = join(handwrittenDir, String(caseNumber++));
  rmSync(dir, { recursive: true, force: true });
  for (const [path, text] of Object.entries(request.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  try {
    const res = await unconfig.loadConfig({
      cwd: dir,
      sources: [{ files: request.kind === 'schema' ? 'instant.schema' : 'instant.perms',
                  extensions: ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'] }],
      merge: false,
    });
    const config = res.config;
    if (typeof config === 'object' && config !== null && '__esModule' in config) {
      delete config.__esModule;
    }
    if (request.kind === 'schema' && config?.constructor?.name !== 'InstantSchemaDef') {
      return { error: `default export is not an InstantSchemaDef (${config?.constructor?.name})` };
    }
    return { json: JSON.stringify(config) };
  } catch (err) {
    return { error: String(err?.message ?? err) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
    case 'execute':
      return execute(request);
    case 'merge': {
      let merged;
      try {
        merged = mergeSchema(request.old, request.new);
      } catch (err) {
        return { error: String(err?.message ?? err) };
      }
      return { merged, pretty: await format(merged) };
    }
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
