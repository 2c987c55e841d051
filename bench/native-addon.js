// Preloaded into a server that runs under another Node than the one node_modules was built for
// (--node PATH on SQLite, see node-runtime.ts). better-sqlite3 loads its compiled addon through
// the package `bindings`, from its build/Release, compiled by `npm ci` for that other Node's ABI;
// this puts a `bindings` in the module cache that hands it the addon built for this Node.
const Module = require('node:module');
const path = require('node:path');
const process = require('node:process');

const addon = process.env.BENCH_BETTER_SQLITE3_ADDON;
if (addon) {
  const root = path.resolve(module.path, '..');
  const betterSqlite3 = path.dirname(
    require.resolve('better-sqlite3/package.json', { paths: [root] }),
  );
  const bindings = require.resolve('bindings', { paths: [betterSqlite3] });
  const replacement = new Module(bindings, module);
  replacement.filename = bindings;
  replacement.loaded = true;
  replacement.exports = (options) => {
    const name = typeof options === 'string' ? options : options.bindings;
    if (!name.startsWith('better_sqlite3')) {
      throw new Error(`bench/native-addon.js: no addon for bindings('${name}') under this Node`);
    }
    return require(addon);
  };
  require.cache[bindings] = replacement;
}
