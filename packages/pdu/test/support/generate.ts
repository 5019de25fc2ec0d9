/** Seeded generators of valid PDUs (every value passes the Schemas): the fuzz harness's, in @dicomnet/testkit. */
import { Fuzz } from "@dicomnet/testkit"

export type Rng = Fuzz.Rng.Rng
export const rng = Fuzz.Rng.make
export const aeTitle = Fuzz.Generate.aeTitle
export const uid = Fuzz.Generate.uid
export const pdu = (r: Rng) => Fuzz.Generate.pdu(r)
