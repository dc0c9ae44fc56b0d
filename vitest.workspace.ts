/**
 * Vitest 5 no longer reads this file: the test projects are declared in `vitest.config.ts`
 * under `test.projects` (every `packages/<name>` folder, plus `examples/`).
 * It stays as a signpost for readers who look for the workspace file the design names.
 */
export { default } from "./vitest.config.ts"
