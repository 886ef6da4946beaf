// Cursor pagination shared by every list RPC: an opaque cursor in, items and the next cursor out.
import { Schema } from "effect"

export const Cursor = Schema.String.pipe(Schema.maxLength(512), Schema.brand("Cursor"))
export type Cursor = typeof Cursor.Type

export const PageLimit = Schema.Int.pipe(Schema.between(1, 100))

export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Cursor) })
