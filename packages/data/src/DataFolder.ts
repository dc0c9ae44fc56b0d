/**
 * The folder of the datasets: `$REIDFX_DATA` (or `${REIDFX_DATA}`) in a dataset `root` written in a config file
 * (a lifelong protocol, an MDKT protocol) is replaced by the environment variable `REIDFX_DATA`, so the shipped
 * protocol files run on any machine that keeps the datasets under one folder. `@reidfx/reid`'s `DataRoots`
 * checks every root of a lifelong protocol with it; `@reidfx/video`'s `DatasetFrames` the root of a video world.
 * @since 0.1.0
 */
import { Config, Schema } from "effect"

/** The environment variable that holds the folder of the datasets. @category constants @since 0.1.0 */
export const variable = "REIDFX_DATA"

const pattern = /\$\{REIDFX_DATA\}|\$REIDFX_DATA\b/

/**
 * Replaces `$REIDFX_DATA` / `${REIDFX_DATA}` in a root with `data` (the root unchanged when it does not use the
 * variable; undefined when it does and `data` is undefined). @category utils @since 0.1.0
 */
export const expand = (root: string, data: string | undefined): string | undefined => {
  if (!pattern.test(root)) return root
  return data === undefined ? undefined : root.replace(new RegExp(pattern.source, "g"), () => data)
}

/** `REIDFX_DATA` from the configuration (the environment by default; a `ConfigProvider` in tests). @category config @since 0.1.0 */
export const DataConfig = Config.schema(Schema.String, variable).pipe(Config.option)

/** The one line that tells a user to set the variable. @category constants @since 0.1.0 */
export const notSetMessage = `${variable} is not set: set it to the folder that holds the datasets (export ${variable}=/path/to/datasets)`
