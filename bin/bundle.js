// The command line as one script (dist/cli/kinv.cjs, written by `npm run build`), run with V8's
// code cache (kinv.cjs.v8-<version>.cache): a cold start then neither parses nor compiles the
// functions a command uses, which was most of its time over Node's own start. The cache is made
// by a run of the build's Node; another Node has none (its V8 differs) and runs the script with
// its own compile cache (Node 22) or compiles it as usual (Node 20), as it does when V8 rejects
// the cache (other V8 flags). V8 checks the
// source's length, not its content: the build writes the script and its cache together, and a
// script edited by hand must be rebuilt (`npm run build`) or its cache deleted.
// A CommonJS module (bin/package.json), as kinv.js that requires it.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { Script } = require('node:vm');
const nodeModule = require('node:module');

function compile(file, cachedData) {
  const source = readFileSync(file, 'utf8');
  return new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
}

function run(script, file) {
  const mod = { exports: {} };
  const require = nodeModule.createRequire(file);
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
}

/**
 * The code cache's file, named by the V8 that made it: only that V8 reads it, so another Node
 * (the package runs on 20 and 22) knows without compiling the script that it has none.
 */
function cacheFile(file) {
  return `${file}.v8-${process.versions.v8}.cache`;
}

/** Node 22.1 and later keep a compile cache of their own (in the system's temporary folder). */
function runWithNodeCache(file) {
  nodeModule.enableCompileCache();
  nodeModule.createRequire(file)(file);
}

/** Runs the bundle, with its code cache when this Node accepts it. */
function runBundle(file) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile(file));
  } catch {
    cachedData = undefined;
  }
  if (cachedData === undefined && typeof nodeModule.enableCompileCache === 'function') {
    runWithNodeCache(file);
    return;
  }
  const script = compile(file, cachedData);
  if (cachedData !== undefined && script.cachedDataRejected && typeof nodeModule.enableCompileCache === 'function') {
    runWithNodeCache(file);
    return;
  }
  run(script, file);
}

/** Runs the bundle on `argv` and writes its code cache when the process exits (`npm run build`). */
function trainBundle(file, argv) {
  process.argv = [process.argv[0], file, ...argv];
  const script = compile(file, undefined);
  process.once('exit', () => writeFileSync(cacheFile(file), script.createCachedData()));
  run(script, file);
}

module.exports = { cacheFile, runBundle, trainBundle };
