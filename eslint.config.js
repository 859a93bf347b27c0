import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, bottom first. A folder may import its own layer's folders and those below,
 * never one above: diagnostics and shared values know nothing, the syntax knows diagnostics, the
 * analysis knows the syntax, and so on up to the command line. See ARCHITECTURE.md.
 */
const LAYERS = [
  ['diag', 'values'],
  ['dsl'],
  ['analysis'],
  ['monitor'],
  ['trace'],
  ['checker'],
  ['sim', 'lockdep', 'testing', 'report', 'probes', 'conform'],
  ['cli'],
];

/** An import path that enters one of `folders` (relative imports only: src/ has no path aliases). */
const entering = (folders) => `^\\.{1,2}/(?:\\.\\./)*(?:${folders.join('|')})/`;

/** One rule per folder: the folders of every higher layer are out of reach. */
const layerRules = LAYERS.slice(0, -1).flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return layer.map((folder) => {
    // The simulator drives a checker it is given (explore, fuzz), so it may name the checker's
    // types, but never runs one: verdicts are not the simulator's to compute.
    const typeOnly = folder === 'sim' ? [{ regex: entering(['checker']), allowTypeImports: true, message: 'the simulator may name the checker\'s types, not run it' }] : [];
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: {
        '@typescript-eslint/no-restricted-imports': ['error', {
          patterns: [{ regex: entering(above), message: `layer rule: src/${folder} may not import a higher layer (${above.join(', ')}); see ARCHITECTURE.md` }, ...typeOnly],
        }],
      },
    };
  });
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'src/dsl/generated/', 'coverage/', 'scripts/capture/work/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // bin/ is CommonJS (bin/package.json): Node starts a CommonJS main script without its ES module loader.
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    // Lines of src/ fit 160 columns.
    rules: { 'max-len': ['error', { code: 160, ignoreUrls: true }] },
  },
  ...layerRules,
);
