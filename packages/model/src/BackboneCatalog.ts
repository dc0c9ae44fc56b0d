/**
 * The catalog of backbones: every `backbone.kind` a model config (and a lifelong protocol's `model.backbone`)
 * may name, one entry per backbone file (see `backbones/BackboneEntry.ts`). `ModelConfig.BackboneConfig` and the
 * network's dispatch are derived from it. A new backbone is one file exporting its entry, one test and one line in
 * `entries`.
 * @since 0.3.0
 */
import { Registry } from "@reidfx/tensor"
import { Schema } from "effect"
import * as BackboneEntry from "./backbones/BackboneEntry.ts"
import { mobilenetv2 } from "./backbones/MobileNetV2.ts"
import { osnet } from "./backbones/OSNet.ts"
import { reference } from "./backbones/ReferenceNet.ts"
import { resnet18, resnet34, resnet50 } from "./backbones/ResNet.ts"

export { BackboneEntry }

/** The built-in entries. @category catalog */
export const entries = [reference, resnet18, resnet34, resnet50, mobilenetv2, osnet] as const

/** The kinds of the built-in backbones. */
export type Name = (typeof entries)[number]["name"]

/** The built-in catalog. @category catalog */
export const builtin: Registry.Registry<BackboneEntry.BackboneEntry> = Registry.make<BackboneEntry.BackboneEntry>(
  "backbone",
  entries
)

/** The config of any built-in backbone: the union of the entries' config Schemas. @category schemas */
export const BackboneConfig = Schema.Union([...new Set(entries.map((e) => e.config))]) as unknown as Schema.Union<
  ReadonlyArray<(typeof entries)[number]["config"]>
>
export type BackboneConfig = typeof BackboneConfig.Type
