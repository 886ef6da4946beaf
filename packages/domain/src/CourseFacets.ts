// What a course is pitched at, shared by the catalog, search filters and the web app: its level and language.
import { Schema } from "effect"

export const Level = Schema.Literal("beginner", "intermediate", "advanced", "all_levels")
export type Level = typeof Level.Type

/** A BCP 47 language tag as courses use it: a language, optionally a region (`en`, `pt-BR`). */
export const Language = Schema.String.pipe(
  Schema.pattern(/^[a-z]{2,3}(?:-[A-Z]{2})?$/, { message: () => "a language tag such as en or pt-BR" })
)
export type Language = typeof Language.Type
