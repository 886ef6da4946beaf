// Slugs: the lower-case ASCII words-with-dashes that name a course or category in a URL.
import { Schema } from "effect"

export const SLUG_MAX_LENGTH = 100

export const Slug = Schema.String.pipe(
  Schema.maxLength(SLUG_MAX_LENGTH),
  Schema.pattern(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: () => "a slug is lower-case letters and digits joined by -"
  }),
  Schema.brand("Slug")
)
export type Slug = typeof Slug.Type

const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  đ: "d",
  ł: "l",
  þ: "th",
  ð: "d",
  "&": " and ",
  "+": " plus ",
  "#": " sharp "
}

/**
 * A slug from free text: accents dropped, other letters transliterated where common, everything else a dash,
 * cut at a word boundary within `maxLength`. Text with no Latin letters or digits gives `fallback`.
 */
export const slugify = (text: string, fallback: string, maxLength = 80): Slug => {
  const ascii = text
    .toLowerCase()
    .replace(/[ßæœøđłþð&+#]/g, (char) => TRANSLITERATIONS[char] ?? char)
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
  const dashed = ascii.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
  const slug = dashed.length <= maxLength ? dashed : cutAtWord(dashed, maxLength)
  return Slug.make(slug.length > 0 ? slug : fallback)
}

const cutAtWord = (dashed: string, maxLength: number) => {
  const head = dashed.slice(0, maxLength)
  if (dashed[maxLength] === "-") return head.replace(/-+$/, "")
  const lastDash = head.lastIndexOf("-")
  return lastDash > 0 ? head.slice(0, lastDash) : head
}
