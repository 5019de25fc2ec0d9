import { register } from "node:module"

register("./resolve-ts.mjs", import.meta.url)
