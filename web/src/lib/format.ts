// How the pages write prices, durations, levels, languages and dates (shared by server and browser).
import type { CourseCard } from "./catalog.ts"

/** Intl formatters are costly to build (a fraction of a millisecond each): one per kind and currency, kept. */
const memo = <A>(make: (key: string) => A) => {
  const made = new Map<string, A>()
  return (key: string) => {
    let value = made.get(key)
    if (value === undefined) {
      value = make(key)
      if (made.size < 256) made.set(key, value)
    }
    return value
  }
}

const currencyFormat = memo((currency) => new Intl.NumberFormat("en", { style: "currency", currency }))

/** Minor units of a currency (JPY has none, most have two). */
const fractionDigits = (currency: string) => currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2

export const formatPrice = (price: CourseCard["price"]) =>
  price.amount === 0
    ? "Free"
    : currencyFormat(price.currency).format(price.amount / 10 ** fractionDigits(price.currency))

/** `1 h 05 min`, `12 min`, `45 s`. */
export const formatDuration = (seconds: number) => {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`
}

export const LEVELS: ReadonlyArray<readonly [string, string]> = [
  ["beginner", "Beginner"],
  ["intermediate", "Intermediate"],
  ["advanced", "Advanced"],
  ["all_levels", "All levels"]
]

const levelNames = new Map(LEVELS)

export const formatLevel = (level: string) => levelNames.get(level) ?? level

const languageNames = new Intl.DisplayNames(["en"], { type: "language" })

export const formatLanguage = (tag: string) => {
  try {
    return languageNames.of(tag) ?? tag
  } catch {
    return tag
  }
}

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" })
const dateTimeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })

export const formatDate = (iso: string) => dateFormat.format(new Date(iso))

export const formatDateTime = (iso: string) => dateTimeFormat.format(new Date(iso))

export const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`
