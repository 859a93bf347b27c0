// `npm run build`: dist/ from a clean slate (a module removed from src/ must not linger in the
// package), then the grammar's hand-typed declarations over the ones tsc infers from its JavaScript.
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

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
