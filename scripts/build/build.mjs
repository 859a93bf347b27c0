// `npm run build`: dist/ from a clean slate (a module removed from src/ must not linger in the
// package), then the grammar's hand-typed declarations over the ones tsc infers from its JavaScript.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname as dirOf, relative as relativeTo, resolve as resolvePath } from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
copyFileSync('src/dsl/generated/parser.d.ts', 'dist/dsl/generated/parser.d.ts');

// The bundled spec's syntax trees, so a cold start need not parse it (dist/analysis/load.js reads them;
// a spec file whose text differs from the one cached here is parsed as usual).
const { buildSpecCache } = await import(new URL('../../dist/dsl/parse-cache.js', import.meta.url).href);
const specDir = 'spec/vfs';
const texts = readdirSync(specDir).filter((f) => f.endsWith('.kinv')).sort().map((f) => readFileSync(`${specDir}/${f}`, 'utf8'));
writeFileSync('dist/analysis/spec-cache.json', JSON.stringify(buildSpecCache(texts)));

// The bundled spec analysed, for the parameter sets a start most often asks for: as it is (check),
// `order` at its other value (explore, sim), ftrace input (check of a capture). dist/analysis/load.js
// reads it when the spec files are the very ones it was made from, else analyses them.
const { buildSpecProduct } = await import(new URL('../../dist/analysis/spec-product-build.js', import.meta.url).href);
const product = buildSpecProduct(resolvePath(specDir), [{ order: 'new' }, { source: 'ftrace' }]);
mkdirSync('dist/analysis/spec-product');
writeFileSync('dist/analysis/spec-product/index.json', product.header);
product.variants.forEach((text, i) => writeFileSync(`dist/analysis/spec-product/${i}.json`, text));

// The command line as one CommonJS script with V8's code cache of a cold `explore` (bin/bundle.js
// runs it): loading ~80 modules and compiling their functions was most of a cold start. Each
// module's `import.meta.url` stays its own file's in dist/, so the files it reads beside itself
// (spec-cache.json, ../../package.json, a worker's module) are found as from the modules.
const { build } = await import('esbuild');
const cliDir = resolvePath('dist/cli');
await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/kinv.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  // Without comments and indentation the script is ~40% smaller, and reading it (a few ms of a start) as fast; names stay as they are.
  minifyWhitespace: true,
  logLevel: 'warning',
  plugins: [{
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
        const rel = relativeTo(cliDir, args.path).split('\\').join('/');
        const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(rel)})).href`;
        return { contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirOf(args.path) };
      });
    },
  }],
});
// The entry's `#!` line would be a syntax error inside bin/bundle.js's function wrapper.
writeFileSync('dist/cli/kinv.cjs', readFileSync('dist/cli/kinv.cjs', 'utf8').replace(/^#!.*\n/, ''));
// The run finds the draft's counterexample, so it exits 1; only a missing cache is a failure.
const { spawnSync } = await import('node:child_process');
const trained = spawnSync(process.execPath, ['--input-type=module', '-e', `(await import('./bin/bundle.js')).trainBundle(${JSON.stringify(resolvePath('dist/cli/kinv.cjs'))}, process.argv.slice(1))`,
  'explore', '--d-add-ci', 'draft', '--order', 'new', '--scenario', 'single', '--first', '--format', 'json'], { stdio: ['ignore', 'ignore', 'inherit'] });
const { cacheFile } = await import('../../bin/bundle.js');
if (trained.status !== 1 || !existsSync(cacheFile(resolvePath('dist/cli/kinv.cjs')))) throw new Error(`the code cache's training run exited ${trained.status}`);
