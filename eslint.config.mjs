// Lint: typescript-eslint's type-checked rules, import cycles, and the layers of src/ (CONTRIBUTING.md).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/, lowest first: a folder imports only from lower layers (never from its own layer's other
 * folders), so the folders cannot import each other in a cycle.
 */
const LAYERS = [
  ['errors.ts', 'util'],
  ['metrics'],
  ['config'],
  ['data', 'backend'],
  ['norm'],
  ['models'],
  ['train'],
  ['tasks'],
  ['results'],
  ['experiments', 'report', 'bench', 'invariance'],
  ['cli'],
];

/** Beyond the layers: the report reads result files and asks the tasks what to show; it never trains. */
const FORBIDDEN = { report: ['train', 'models', 'norm', 'backend', 'data'] };

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
      from: `./src/${from}`,
      message: `src/${target} must not import src/${from} (eslint.config.mjs FORBIDDEN, CONTRIBUTING.md)`,
    })),
  ),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'results/', 'bin/', 'eslint.config.mjs'] },
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
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 40, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  prettier,
);
