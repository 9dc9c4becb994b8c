// Shared plumbing for the conformance drivers: loading the official packages installed by
// `cargo xtask npm`, and the JSON-lines protocol described in xtask/conformance/src/node.rs.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const npmDir = process.env.INSTANTDB_NPM_DIR;
if (!npmDir) {
  throw new Error('INSTANTDB_NPM_DIR is not set: run through `cargo xtask conformance`');
}
const require = createRequire(join(npmDir, 'package.json'));

/** Imports a package from the conformance install (ESM entry when it has one). */
export async function load(name) {
  return import(pathToFileURL(require.resolve(name)).href);
}

/** Answers every input line with `{ok: await handler(input)}` or `{error: message}`, in order. */
export async function serve(handler) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = { ok: await handler(JSON.parse(line)) };
    } catch (err) {
      answer = { error: String(err && err.message !== undefined ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}
