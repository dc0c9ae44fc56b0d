/**
 * MDKT protocols as files: decode a protocol from JSON or YAML text (or any value) with errors that name each
 * bad key and what is allowed (`@reidfx/tensor`'s `ConfigIssues`, the explainer of every config dialect), and
 * write it back. Decoding, encoding and decoding again gives the same value.
 * @since 0.1.0
 */
import { ConfigIssues } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import * as YAML from "yaml"
import { MdktProtocolDecodeError } from "./errors.ts"
import { MdktProtocol, type MdktProtocolInput } from "./MdktProtocol.ts"

/**
 * Decodes a protocol value (defaults filled in); unknown keys are errors.
 * @category decoding
 * @since 0.1.0
 */
export const decode = (input: unknown, source = "value"): Effect.Effect<MdktProtocol, MdktProtocolDecodeError> =>
  Schema.decodeUnknownEffect(MdktProtocol)(input, { errors: "all", onExcessProperty: "error" }).pipe(
    Effect.mapError(
      (e) => new MdktProtocolDecodeError({ source, issues: ConfigIssues.explainAll(MdktProtocol.ast, input, e.issue) })
    )
  )

/**
 * Decodes protocol text: YAML (a superset of JSON, so JSON text works too).
 * @category decoding
 * @since 0.1.0
 */
export const parse = (text: string, source = "text"): Effect.Effect<MdktProtocol, MdktProtocolDecodeError> =>
  Effect.try({
    try: () => YAML.parse(text) as unknown,
    catch: (e) =>
      new MdktProtocolDecodeError({
        source,
        issues: [{ path: "(root)", message: `not valid YAML or JSON: ${e instanceof Error ? e.message : String(e)}` }]
      })
  }).pipe(Effect.flatMap((value) => decode(value, source)))

/**
 * Whether a parsed file is an MDKT protocol (`kind: mdkt`). `reidfx run` dispatches through `@reidfx/continual`'s
 * `ProtocolKind` registry (see `Mdkt.kind`) instead. @category guards @since 0.1.0
 */
export const isMdktProtocolValue = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "mdkt"

/** Encodes a protocol to its file form (every default written out). @category encoding @since 0.1.0 */
export const encode = (protocol: MdktProtocol): MdktProtocolInput => Schema.encodeSync(MdktProtocol)(protocol)

/** A protocol as YAML text. @category encoding @since 0.1.0 */
export const toYaml = (protocol: MdktProtocol): string => YAML.stringify(encode(protocol))

/** A protocol as JSON text. @category encoding @since 0.1.0 */
export const toJson = (protocol: MdktProtocol): string => JSON.stringify(encode(protocol), null, 2)
