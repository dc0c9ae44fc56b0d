/** @reidfx/cli: the `reidfx` command line. @since 0.1.0 */
export { cli } from "./cli.ts"
