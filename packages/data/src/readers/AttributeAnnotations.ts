/**
 * The identity-level attribute annotations of Lin et al., "Improving Person Re-identification by Attribute and
 * Identity Learning" (Pattern Recognition 2019): `market_attribute.mat` (27 attributes of the 751 train and 750 test
 * identities of Market-1501, github.com/vana77/Market-1501_Attribute) and `duke_attribute.mat` (23 attributes of
 * DukeMTMC-reID, github.com/vana77/DukeMTMC-attribute-dataset).
 *
 * File layout (what scipy's `loadmat(f)["market_attribute"][0][0]` shows): one 1x1 struct variable with fields
 * `train` and `test`, each a 1x1 struct whose fields are the attributes, each a `1 x N` row over the split's
 * identities, plus `image_index`, a `1 x N` cell of the identities' 4-digit names (`'0002'`). Values are 1 / 2:
 * `no(1), yes(2)` for the binary attributes (for `gender` male(1) / female(2), `hair` short(1) / long(2), `up`
 * long(1) / short(2) sleeve, `down` long(1) / short(2), `clothes` dress(1) / pants(2)), and Market's `age` is
 * young(1), teenager(2), adult(3), old(4).
 *
 * Read as binary labels (value - 1): `yes` = 1, `no` = 0; a multi-valued attribute (`age`) becomes one-hot binary
 * attributes `age=1` ... `age=4` (as the binary attribute heads of APR reimplementations train on it). Unknown
 * identities give -1 for every attribute, which `attributeBce` leaves out.
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type DatasetNotFound, MalformedMetadata } from "../errors.ts"
import type { Item } from "../Item.ts"
import * as Files from "./files.ts"
import * as Mat5 from "./Mat5.ts"

/** Per-identity binary attribute labels of one split. */
export interface AttributeTable {
  /** Identity (the number of its 4-digit name) -> one 0/1 label per attribute of {@link AttributeAnnotations.names}. */
  readonly byIdentity: ReadonlyMap<number, ReadonlyArray<number>>
}

/** The annotations of a file. */
export interface AttributeAnnotations {
  /** The binary attribute names, in label order (the file's field order; a multi-valued one as `name=value`). */
  readonly names: ReadonlyArray<string>
  readonly train: AttributeTable
  readonly test: AttributeTable
}

/** The expected annotation file and its layout, in words (printed in error messages and the docs). */
export const layout = `market_attribute.mat (or duke_attribute.mat):
  <variable>.train.<attribute>  1 x N, values 1 (no) / 2 (yes) (age: 1..4)
  <variable>.train.image_index  1 x N cell of identity names ('0002')
  <variable>.test...            the same for the test identities`

const numbers = (v: Mat5.MatValue | undefined): ReadonlyArray<number> | undefined =>
  v?._tag === "Numeric" ? Array.from(v.data) : undefined

const text = (v: Mat5.MatValue): string | undefined =>
  v._tag === "Char" ? v.text.trim() : v._tag === "Numeric" && v.data.length === 1 ? String(v.data[0]) : undefined

const only = (v: Mat5.MatValue | undefined): Readonly<Record<string, Mat5.MatValue>> | undefined =>
  v?._tag === "Struct" && v.elements.length === 1 ? v.elements[0] : undefined

/** Decodes a parsed file (see the module doc); a missing or malformed part is a {@link MalformedMetadata}. */
export const fromValues = (
  file: string,
  variables: ReadonlyArray<{ readonly name: string; readonly value: Mat5.MatValue }>
): AttributeAnnotations => {
  const bad = (detail: string) => new MalformedMetadata({ path: file, detail })
  const root = variables
    .map((v) => only(v.value))
    .find((r) => r !== undefined && only(r.train) !== undefined && only(r.test) !== undefined)
  if (root === undefined)
    throw bad("no 1x1 struct variable with train and test struct fields (market_attribute / duke_attribute)")
  const splits = { train: only(root.train)!, test: only(root.test)! }
  // the attribute fields (file order) and the values each takes, over both splits
  const fields = Object.keys(splits.train).filter((f) => f !== "image_index")
  const values = new Map<string, Array<number>>()
  for (const f of fields) {
    const seen = new Set<number>()
    for (const split of ["train", "test"] as const) {
      const row = numbers(splits[split][f])
      if (row === undefined) throw bad(`${split}.${f} is not a numeric row`)
      for (const v of row) {
        if (!Number.isInteger(v) || v < 1) throw bad(`${split}.${f} holds ${v}; labels are 1, 2, ... (1 = no)`)
        seen.add(v)
      }
    }
    values.set(
      f,
      [...seen].sort((a, b) => a - b)
    )
  }
  const multi = (f: string) => (values.get(f)!.at(-1) ?? 0) > 2
  const names = fields.flatMap((f) => (multi(f) ? values.get(f)!.map((v) => `${f}=${v}`) : [f]))
  const table = (split: "train" | "test"): AttributeTable => {
    const s = splits[split]
    const index = s.image_index
    const ids = index?._tag === "Cell" ? index.cells.map(text) : numbers(index)?.map(String)
    if (ids === undefined) throw bad(`${split}.image_index is not a cell of identity names`)
    const byIdentity = new Map<number, Array<number>>()
    ids.forEach((name, i) => {
      const id = name === undefined ? Number.NaN : Number.parseInt(name, 10)
      if (!Number.isInteger(id))
        throw bad(`${split}.image_index entry ${i + 1} is not an identity name (${String(name)})`)
      const labels = fields.flatMap((f) => {
        const row = numbers(s[f])!
        if (row.length !== ids.length) throw bad(`${split}.${f} has ${row.length} values for ${ids.length} identities`)
        const v = row[i]!
        return multi(f) ? values.get(f)!.map((w) => (w === v ? 1 : 0)) : [v === 2 ? 1 : 0]
      })
      byIdentity.set(id, labels)
    })
    return { byIdentity }
  }
  return { names, train: table("train"), test: table("test") }
}

/** Reads `market_attribute.mat` / `duke_attribute.mat`. @category readers */
export const read = (file: string): Effect.Effect<AttributeAnnotations, DatasetNotFound | MalformedMetadata> =>
  Effect.gen(function* () {
    yield* Files.requireFile("attribute annotations", file, layout)
    const bytes = yield* Files.readBytes(file)
    return yield* Effect.try({
      try: () => fromValues(file, Mat5.parseValues(bytes)),
      catch: (e) =>
        e instanceof MalformedMetadata
          ? e
          : new MalformedMetadata({ path: file, detail: e instanceof Error ? e.message : String(e) })
    })
  })

/**
 * The labels of items (`[n x names.length]` row-major, -1 for an identity the table does not hold), for a training
 * batch's `attributes` or for `attributeScores`. @category readers
 */
export const forItems = (
  annotations: AttributeAnnotations,
  table: AttributeTable,
  items: ReadonlyArray<Item>
): Float32Array => {
  const A = annotations.names.length
  const out = new Float32Array(items.length * A).fill(-1)
  items.forEach((item, i) => {
    const labels = table.byIdentity.get(item.id)
    if (labels !== undefined) out.set(labels, i * A)
  })
  return out
}
