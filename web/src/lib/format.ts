// How the pages write prices, durations, levels, languages and dates (shared by server and browser).
import type { CourseCard } from "./catalog.ts"

/** Minor units of a currency (JPY has none, most have two). */
const fractionDigits = (currency: string) =>
  new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2

export const formatPrice = (price: CourseCard["price"]) =>
  price.amount === 0
    ? "Free"
    : new Intl.NumberFormat("en", { style: "currency", currency: price.currency }).format(
        price.amount / 10 ** fractionDigits(price.currency)
      )

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

export const formatLanguage = (tag: string) => {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(tag) ?? tag
  } catch {
    return tag
  }
}

export const formatDate = (iso: string) =>
  new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso))

export const formatDateTime = (iso: string) =>
  new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(new Date(iso))

export const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`
