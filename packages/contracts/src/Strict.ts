// Write payloads that refuse keys they do not declare, so fields like `ownerId` or `status` cannot be slipped in.
import { Schema } from "effect"

export const strict = <Fields extends Schema.Struct.Fields>(fields: Fields) =>
  Schema.Struct(fields).annotations({ parseOptions: { onExcessProperty: "error" } })
