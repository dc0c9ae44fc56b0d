import { InvalidOption } from "@reidfx/tensor"
import { Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as VideoLayoutCatalog from "../src/VideoLayoutCatalog.ts"
import * as VideoWorld from "../src/VideoWorld.ts"

describe("VideoLayoutCatalog: the video layouts an MDKT protocol reads", () => {
  it("names, aliases and each layout's official evaluation rules", () => {
    expect(VideoLayoutCatalog.builtin.names).toEqual(["mars", "dukeMTMCVideoReID", "veri776"])
    expect(VideoLayoutCatalog.builtin.require("dukemtmcVideoReid").name).toBe("dukeMTMCVideoReID")
    const mars = VideoLayoutCatalog.builtin.require("mars")
    expect([mars.junkIdentities, mars.distractorIdentities, mars.galleryIncludesQueries]).toEqual([[-1], [0], true])
    const veri = VideoLayoutCatalog.builtin.require("veri776")
    expect([veri.objects, veri.junkIdentities, veri.galleryIncludesQueries]).toEqual(["vehicles", [], false])
    expect(() => VideoLayoutCatalog.builtin.require("ilidsVid")).toThrow(InvalidOption)
    expect(() => VideoLayoutCatalog.builtin.require("ilidsVid")).toThrow(/known: mars, dukeMTMCVideoReID, veri776/)
  })

  it("the world's layout names come from the catalog: an alias decodes to the name, an unknown one is refused", () => {
    expect(Schema.decodeUnknownSync(VideoLayoutCatalog.LayoutName)("dukemtmcVideoReid")).toBe("dukeMTMCVideoReID")
    expect(Schema.decodeUnknownSync(VideoLayoutCatalog.LayoutName)("mars")).toBe("mars")
    const world = { kind: "layout", layout: "ilidsVid", root: "/nowhere" }
    expect(Exit.isFailure(Schema.decodeUnknownExit(VideoWorld.VideoLayoutDataset)(world))).toBe(true)
    // (the message of a protocol file naming an unknown layout: @reidfx/reid's test/mdkt/MdktProtocol.test.ts)
  })
})
