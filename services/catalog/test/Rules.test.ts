// The catalog's pure rules: slugs, prices and discounts, search words, reorder validation, reading time.

import { describe, expect, it } from "@effect/vitest"
import { CourseId, type Discount, discountProblem, priceAt, Slug, slugify } from "@lectern/domain"
import { Arbitrary, DateTime, FastCheck, Schema } from "effect"
import { CursorContent, encodeCursorContent, readingSeconds, reorderProblem, searchTerms } from "../src/Catalog.ts"

describe("slugify", () => {
  it("lower-cases, drops accents and joins words with dashes", () => {
    expect(slugify("Effect: From First Principles!", "course")).toBe("effect-from-first-principles")
    expect(slugify("  Crème brûlée à la française ", "course")).toBe("creme-brulee-a-la-francaise")
    expect(slugify("Straße & Ærø", "course")).toBe("strasse-and-aero")
    expect(slugify("C# and C++ in 2025", "course")).toBe("c-sharp-and-c-plus-plus-in-2025")
  })

  it("falls back when nothing Latin is left", () => {
    expect(slugify("日本語の講座", "course")).toBe("course")
    expect(slugify("!!!", "category")).toBe("category")
  })

  it("cuts long titles at a word boundary within the limit", () => {
    const slug = slugify("word ".repeat(40), "course", 22)
    expect(slug).toBe("word-word-word-word")
    expect(slugify("a".repeat(200), "course", 80)).toHaveLength(80)
    expect(slugify("abcd efgh", "course", 4)).toBe("abcd")
  })

  it("always yields a valid Slug", () => {
    for (const text of ["-x-", "Ünïcödé", "a--b", "10,000 títulos", "x".repeat(500)]) {
      expect(Schema.is(Slug)(slugify(text, "course"))).toBe(true)
    }
  })
})

describe("money", () => {
  const now = DateTime.unsafeMake("2030-01-01T00:00:00Z")
  const later = DateTime.unsafeMake("2030-02-01T00:00:00Z")
  const price = { amount: 4999, currency: "EUR" }

  it("applies a running discount, rounded to whole minor units", () => {
    const percent: Discount = { kind: "percent", percent: 15, endsAt: later }
    expect(priceAt(price, percent, now)).toEqual({ amount: 4249, currency: "EUR" })
    const amount: Discount = { kind: "amount", amount: 1000, endsAt: later }
    expect(priceAt(price, amount, now)).toEqual({ amount: 3999, currency: "EUR" })
    expect(priceAt(price, { kind: "percent", percent: 100, endsAt: later }, now).amount).toBe(0)
  })

  it("ignores a discount once it has ended", () => {
    expect(priceAt(price, { kind: "percent", percent: 50, endsAt: now }, now)).toEqual(price)
    expect(priceAt(price, null, now)).toEqual(price)
  })

  it("refuses discounts larger than the price and discounts on free courses", () => {
    expect(discountProblem(price, { kind: "amount", amount: 5000, endsAt: later })).toMatch(/larger/)
    expect(discountProblem(price, { kind: "amount", amount: 4999, endsAt: later })).toBeUndefined()
    expect(discountProblem({ amount: 0, currency: "EUR" }, { kind: "percent", percent: 10, endsAt: later })).toMatch(
      /free/
    )
  })
})

describe("searchTerms", () => {
  it("keeps only letters and digits, lower-cased", () => {
    expect(searchTerms("  Effect-TS: Layers & Fibers ")).toEqual(["effect", "ts", "layers", "fibers"])
    expect(searchTerms("Ünïcode 日本語 42")).toEqual(["ünïcode", "日本語", "42"])
  })

  it("leaves no tsquery operator from the input", () => {
    const terms = searchTerms("a & !b | c:* <-> ')( \\ d:A")
    expect(terms).toEqual(["a", "b", "c", "d", "a"])
    for (const term of terms) expect(term).toMatch(/^[\p{L}\p{N}]+$/u)
  })

  it("bounds the work: at most 8 words of at most 50 characters", () => {
    expect(searchTerms("w ".repeat(100))).toHaveLength(8)
    expect(searchTerms("x".repeat(500))[0]).toHaveLength(50)
    expect(searchTerms("")).toEqual([])
    expect(searchTerms("!!! ???")).toEqual([])
  })
})

describe("reorderProblem", () => {
  const sections = [{ id: "s1" }, { id: "s2" }]
  const lessons = [{ id: "l1" }, { id: "l2" }, { id: "l3" }]

  it("accepts every section and lesson listed once, in any grouping", () => {
    expect(
      reorderProblem(
        [
          { id: "s2", lessonIds: ["l3", "l1"] },
          { id: "s1", lessonIds: ["l2"] }
        ],
        sections,
        lessons
      )
    ).toBeUndefined()
  })

  it("names what is foreign, repeated or missing", () => {
    const base = { id: "s2", lessonIds: [] }
    expect(reorderProblem([{ id: "s1", lessonIds: ["l1", "l2", "l3", "lx"] }, base], sections, lessons)).toBe(
      "lesson lx is not part of this course"
    )
    expect(reorderProblem([{ id: "s1", lessonIds: ["l1", "l2", "l3", "l1"] }, base], sections, lessons)).toBe(
      "lesson l1 is listed twice"
    )
    expect(reorderProblem([{ id: "s1", lessonIds: ["l1", "l2"] }, base], sections, lessons)).toBe(
      "lesson l3 is missing"
    )
    expect(reorderProblem([{ id: "s1", lessonIds: ["l1", "l2", "l3"] }], sections, lessons)).toBe(
      "section s2 is missing"
    )
    expect(
      reorderProblem(
        [{ id: "s1", lessonIds: ["l1", "l2", "l3"] }, base, { id: "s9", lessonIds: [] }],
        sections,
        lessons
      )
    ).toBe("section s9 is not part of this course")
  })
})

describe("readingSeconds", () => {
  it("reads 200 words a minute", () => {
    expect(readingSeconds("word ".repeat(200))).toBe(60)
    expect(readingSeconds("")).toBe(0)
    expect(readingSeconds("one")).toBe(1)
  })
})

describe("encodeCursorContent", () => {
  it("is exactly the Schema's encoding, and decodes back", () => {
    const content = Schema.typeSchema(CursorContent)
    FastCheck.assert(
      FastCheck.property(Arbitrary.make(content), (value) => {
        const encoded = encodeCursorContent(value)
        expect(encoded).toBe(Schema.encodeSync(CursorContent)(value))
        expect(Schema.decodeSync(CursorContent)(encoded)).toEqual(value)
      })
    )
    // Sort keys and filters are ASCII in practice; other text must survive too.
    const unicode = [1, "relevance", "0.0607927", CourseId.make(crypto.randomUUID()), "é😀"] as const
    expect(encodeCursorContent(unicode)).toBe(Schema.encodeSync(CursorContent)(unicode))
  })
})
