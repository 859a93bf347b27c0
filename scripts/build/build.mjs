// `npm run build`: dist/ from a clean slate (a module removed from src/ must not linger in the
// package), then the grammar's hand-typed declarations over the ones tsc infers from its JavaScript.
import { copyFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
copyFileSync('src/dsl/generated/parser.d.ts', 'dist/dsl/generated/parser.d.ts');
