/**
 * Occluded-DukeMTMC (Miao, Wu, Liu, Ding and Yang, "Pose-Guided Feature Alignment for Occluded Person
 * Re-Identification", ICCV 2019): DukeMTMC-reID re-split so that every query image and 10% of the gallery are
 * occluded persons. The authors' `convert_duke_to_occduke.py` (lightas/ICCV19_Pose_Guided_Occluded_Person_ReID,
 * `dataset/README.md`) writes `Occluded_Duke/` with Market-1501's folders `bounding_box_train/`, `query/`,
 * `bounding_box_test/` and DukeMTMC's names `0001_c2_f0046182.jpg` (identity, camera c1..c8), the pattern
 * `([-\d]+)_c(\d)` of fast-reid's `OccludedDuke` (`fastreid/data/datasets/occludedduke.py`). Published sizes:
 * 702 train identities, 15,618 train, 2,210 query and 17,661 gallery images.
 * @since 0.3.0
 */
import * as DatasetLayout from "../layouts/DatasetLayout.ts"
import * as ImageFolders from "./ImageFolders.ts"

/** The folder layout. */
export const folders: ImageFolders.FolderLayout = {
  dataset: "Occluded-DukeMTMC",
  train: "bounding_box_train",
  query: "query",
  gallery: "bounding_box_test",
  pattern: /^([-\d]+)_c(\d)/,
  cameraBase: 1,
  layout: "Occluded_Duke/\n  bounding_box_train/   0001_c2_f0046182.jpg, ...\n  query/\n  bounding_box_test/"
}

/** Reads Occluded-DukeMTMC. */
export const read = (root: string) => ImageFolders.read(root, folders)

/** The catalog entry. @category catalog */
export const occludedDuke = DatasetLayout.make({
  name: "occludedDuke",
  aliases: ["occludedDukeMTMC"],
  description: "Occluded-DukeMTMC (Miao et al. ICCV 2019): every query occluded",
  dataset: folders.dataset,
  kind: "image",
  objects: "persons",
  layout: folders.layout,
  read
})
