import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { define, ModelConfig, parameterCount } from "../src/index.ts"

const count = (input: ModelConfig.ModelConfigInput) =>
  parameterCount(define(Schema.decodeUnknownSync(ModelConfig.ModelConfig)(input)).specs)

describe("parameter counts", () => {
  // torchvision: sum(p.numel() for p in torchvision.models.<name>().parameters())
  it.each([
    ["resnet18", 11_689_512],
    ["resnet34", 21_797_672],
    ["resnet50", 25_557_032],
    ["mobilenetv2", 3_504_872]
  ] as const)("%s with a 1000-class fc has torchvision's count", (kind, expected) => {
    expect(count(ModelConfig.torchvisionClassifier(kind))).toBe(expected)
  })

  it("the ReID heads change the count as their definitions say", () => {
    const backbone = count({ backbone: { kind: "resnet50" }, head: { neck: "none", classes: 0 } })
    expect(backbone).toBe(25_557_032 - 2048 * 1000 - 1000)
    // BNNeck: gamma only (its bias is fixed at 0), classifier without bias
    expect(count({ backbone: { kind: "resnet50" }, head: { neck: "bnneck", classes: 751 } })).toBe(
      backbone + 2048 + 2048 * 751
    )
    // GeM adds one learnable p; an embedding adds a linear layer with bias
    expect(count({ backbone: { kind: "resnet50" }, head: { neck: "none", pooling: "gem" } })).toBe(backbone + 1)
    expect(count({ backbone: { kind: "resnet50" }, head: { neck: "none", embedding: 256 } })).toBe(
      backbone + 2048 * 256 + 256
    )
  })

  it("last stride does not change the count", () => {
    expect(count({ backbone: { kind: "resnet50", lastStride: 1 }, head: { neck: "none" } })).toBe(
      count({ backbone: { kind: "resnet50" }, head: { neck: "none" } })
    )
  })

  it("the reference net is about 3.0 M parameters with 751 classes (wasm backend notes)", () => {
    const n = count(ModelConfig.referenceBaseline(751))
    // stem 3*3*3*32 + BN; 4 stages of 2 basic blocks; BNNeck gamma; 256 x 751 classifier
    expect(n).toBe(2_987_552)
  })
})
