// Lint: typescript-eslint's type-checked rules, import cycles, and the layers of src/ (CONTRIBUTING.md).
import { resolve } from 'node:path';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/, lowest first: a folder imports only from lower layers (never from its own layer's other
 * folders), so the folders cannot import each other in a cycle.
 */
const LAYERS = [
  ['errors.ts'],
  ['util'],
  ['metrics'],
  ['data', 'backend'],
  ['norm'],
  ['models'],
  ['train'],
  ['tasks'],
  ['config'],
  ['results'],
  ['experiments', 'report', 'bench', 'invariance'],
  ['cli'],
];

/**
 * What each kind declares without tfjs (src/<family>/catalog.ts, src/<family>/<kind>/spec.ts) and the config's
 * types: the files of the layers below that the report may read.
 */
const DECLARATIONS = ['src/**/catalog.ts', 'src/**/spec.ts', 'src/{tasks/schema,metrics/types}.ts'];

/** Beyond the layers: the report reads result files and the kinds' declarations; it never trains (nor loads tfjs). */
const FORBIDDEN = { report: ['train', 'models', 'norm', 'backend', 'data', 'tasks', 'metrics'] };

const zones = LAYERS.flatMap((layer, i) =>
  layer.flatMap((target) =>
    LAYERS.slice(i)
      .flat()
      .filter((from) => from !== target)
      .map((from) => ({
        target: `./src/${target}`,
        from: `./src/${from}`,
        message: `src/${target} is below src/${from} in the layers of eslint.config.mjs (see CONTRIBUTING.md)`,
      })),
  ),
).concat(
  Object.entries(FORBIDDEN).flatMap(([target, froms]) =>
    froms.map((from) => ({
      target: `./src/${target}`,
      // As globs, so that the declarations can be excepted (globs match absolute paths).
      from: resolve(import.meta.dirname, 'src', from, '**'),
      except: DECLARATIONS.map((d) => resolve(import.meta.dirname, d)),
      message: `src/${target} must not import src/${from}, but for the kinds' declarations (eslint.config.mjs FORBIDDEN, CONTRIBUTING.md)`,
    })),
  ),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'results/', 'bin/', 'eslint.config.mjs', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // scripts/*.mjs (build steps in plain Node) lie outside tsconfig.json: type-checked in a default project.
      parserOptions: {
        projectService: { allowDefaultProject: ['scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    // Resolve `../tasks/registry` to its .ts file: the layer and cycle rules see only imports they can resolve.
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import-x/no-cycle': 'error',
      // The layer and cycle rules see only the imports the resolver finds: an unresolved one is an error too.
      'import-x/no-unresolved': 'error',
      'import-x/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // tfjs ops are generic over the tensor they return; `tf.add(a, b) as tf.Tensor2D` states the rank where the
      // value is used, which this rule would move into type arguments (`tf.add<tf.Tensor2D>(a, b)`).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // node:test's describe and it return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it'] }] },
      ],
    },
  },
  {
    // Tests read run.json, check.json and the CLI's --json output back: JSON.parse's `any` is their input.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The config, the results, the report, summary and check and every kind's declaration load no tfjs (`ln-repro
    // report`, `check`, `summary` start without it); test/tfjs-free.test.ts checks the module graph at run time.
    files: [
      ...DECLARATIONS,
      'src/{config,results,report,data}/**/*.ts',
      'src/experiments/{check,summary}.ts',
      'src/cli/{index,check,summary,report}.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@tensorflow/*'], allowTypeImports: true, message: 'a tfjs-free module (eslint.config.mjs)' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 40, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  prettier,
);
