/** Test certificates made with `openssl` at test time (shared: @dicomnet/testkit's Pki). */
import { Pki as TestPki } from "@dicomnet/testkit"

export type Pki = TestPki.Pki
export const make = TestPki.make
