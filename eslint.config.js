// typescript-eslint's strict-type-checked for the language, eslint-plugin-rxjs-x for the
// RxJS pitfalls DESIGN.md names (nested subscribes, ignored subscriptions, unsafe takeUntil).
import { defineConfig } from 'eslint/config';
import rxjsX from 'eslint-plugin-rxjs-x';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'coverage/**', 'bench/**', 'test/.doc-*/**', 'node_modules/**'] },
  tseslint.configs.strictTypeChecked,
  rxjsX.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers (counts, ms, byte sizes) in messages and routing keys print exactly as `${n}` does;
      // String(n) everywhere would add noise, not safety.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `(x) => subscriber.next(x)`, `return void x` and the early exit `if (done) return finish();` from a
      // void function are the deliberate idiom of the hot paths (subscriber callbacks, delivery loop):
      // nothing can read the value. Keep flagging a void call used as a value anywhere else.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidOperator: true, ignoreVoidReturningFunctions: true },
      ],
      // `const { log: _log, ...shown } = config` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A caught error is rethrown (or rejected) as it came, whatever it is: wrapping it would change what callers catch.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: false, allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: false, allowThrowingUnknown: true }],
    },
  },
  {
    // One concept per file: a file of src/ that outgrows this is two (STYLE.md). Comments do not count: the
    // TSDoc on public types (which the API reference is generated from) must not push a file over it.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipComments: true }] },
  },
);
