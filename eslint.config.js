// typescript-eslint's strict-type-checked for the language, eslint-plugin-rxjs-x for the
// RxJS pitfalls DESIGN.md names (nested subscribes, ignored subscriptions, unsafe takeUntil).
import { defineConfig } from 'eslint/config';
import rxjsX from 'eslint-plugin-rxjs-x';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'coverage/**', 'bench/**', 'test/.readme-snippets/**', 'node_modules/**'] },
  tseslint.configs.strictTypeChecked,
  rxjsX.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
);
