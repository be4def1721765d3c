'use strict';
/**
 * Starts one service bundle after resolving secret placeholders in its environment.
 *
 *   node launch.js services/order.mjs
 *
 * A variable may hold `{{secret:NAME:FIELD}}`; it is replaced by FIELD of the JSON document in
 * `$SECRETS_DIR/NAME.json` (a Secrets Manager secret written there before start), URL-encoded
 * so that it can sit inside a connection URL. `{{secret:NAME}}` is the whole secret string
 * (for secrets that are not JSON, such as the cache's AUTH token). A missing file or field stops the start with a
 * message that names the variable, never the value.
 */
const fs = require('node:fs');
const path = require('node:path');

const PLACEHOLDER = /\{\{secret:([A-Za-z0-9_.-]+)(?::([A-Za-z0-9_]+))?\}\}/g;

function resolveSecrets(env, dir) {
  const texts = new Map();
  const read = (name, variable) => {
    if (!texts.has(name)) {
      const file = path.join(dir, `${name}.json`);
      try {
        texts.set(name, fs.readFileSync(file, 'utf8').replace(/\n$/, ''));
      } catch (error) {
        throw new Error(`${variable}: cannot read secret ${name} from ${file}: ${error.message}`);
      }
    }
    return texts.get(name);
  };
  const resolved = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== 'string' || !value.includes('{{secret:')) continue;
    resolved[key] = value.replace(PLACEHOLDER, (_, name, field) => {
      const text = read(name, key);
      if (field === undefined) return encodeURIComponent(text);
      let doc;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new Error(`${key}: secret ${name} is not a JSON document, so it has no field ${field}`);
      }
      if (doc[field] === undefined) throw new Error(`${key}: secret ${name} has no field ${field}`);
      return encodeURIComponent(String(doc[field]));
    });
  }
  return resolved;
}

module.exports = { resolveSecrets };

if (require.main === module) {
  const entry = process.argv[2];
  if (!entry) {
    process.stderr.write('usage: node launch.js <bundle>\n');
    process.exit(2);
  }
  try {
    Object.assign(process.env, resolveSecrets(process.env, process.env.SECRETS_DIR || '/run/secrets/orders'));
  } catch (error) {
    process.stderr.write(`launch: ${error.message}\n`);
    process.exit(78);
  }
  process.argv.splice(1, 1);
  // The bundles are ES modules with linked source maps: stack traces point at the TypeScript.
  process.setSourceMapsEnabled(true);
  import(require('node:url').pathToFileURL(path.resolve(__dirname, entry)).href).catch((error) => {
    process.stderr.write(`launch: ${entry}: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
}
