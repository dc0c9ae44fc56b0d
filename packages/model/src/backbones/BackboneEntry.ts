/**
 * The catalog entry of a backbone: what a backbone file exports so that a model config (and a lifelong
 * protocol's `model.backbone`) can name it. An entry gives its `kind` name, the Schema of its config (a struct
 * whose `kind` literal includes the name), how it is built, and how a lifelong protocol's model spec maps to its
 * config. `BackboneCatalog` collects the entries; `ModelConfig.BackboneConfig` and the network's dispatch come
 * from it.
 * @since 0.3.0
 */
import type { Registry } from "@reidfx/tensor"
import { Effect, Schema } from "effect"
import type { Builder } from "../nn/Builder.ts"
import type { Backbone } from "./Backbone.ts"

/** The backbone keys of a lifelong protocol's model spec (`@reidfx/reid` `Protocol.ModelSpec`). @category models */
export interface ProtocolModel {
  readonly stemWidth: number
  readonly widths: ReadonlyArray<number>
  readonly blocks: ReadonlyArray<number>
  readonly lastStride?: 1 | 2
  readonly ibn?: boolean
}

/** A catalog entry of a backbone. @category models */
export interface BackboneEntry<S extends Schema.Top = Schema.Top> extends Registry.Entry {
  /** The Schema of the backbone's config (`{ kind: <name>, ...options }`). */
  readonly config: S
  /** Defines the backbone's parameters (under `b`) and its forward. */
  build(b: Builder, config: S["Type"], inputChannels: number): Backbone
  /** The config of a lifelong protocol's model spec (the keys the backbone reads; the others are ignored). */
  fromProtocol(spec: ProtocolModel): S["Encoded"]
}

/** An entry (the identity, for type checking; keeps the literal name). @category constructors */
export const make = <const Name extends string, S extends Schema.Top>(
  entry: BackboneEntry<S> & { readonly name: Name }
): BackboneEntry<S> & { readonly name: Name } => entry

/** A key's decoding default (the config Schemas' helper). */
export const def = <S extends Schema.Top>(value: S["Type"]) =>
  Schema.withDecodingDefaultTypeKey<S>(Effect.succeed(value))

/** An integer > 0. */
export const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
