// Money: integer minor units in an ISO 4217 currency (no floats anywhere), and the discounts a price may carry.
import { DateTime, Schema } from "effect"

export const CurrencyCode = Schema.String.pipe(
  Schema.pattern(/^[A-Z]{3}$/, { message: () => "a currency is an ISO 4217 code: three upper-case letters" })
)
export type CurrencyCode = typeof CurrencyCode.Type

/** An amount in the currency's smallest unit (cents for EUR); the cap keeps sums far inside safe integers. */
export const MinorUnits = Schema.Int.pipe(
  Schema.between(0, 1_000_000_000, { message: () => "an amount is a whole number of minor units, 0 to 1,000,000,000" })
)

export const Money = Schema.Struct({ amount: MinorUnits, currency: CurrencyCode })
export type Money = typeof Money.Type

export const PercentDiscount = Schema.Struct({
  kind: Schema.Literal("percent"),
  percent: Schema.Int.pipe(Schema.between(1, 100, { message: () => "a percent discount is 1 to 100" })),
  endsAt: Schema.DateTimeUtc
})

/** A fixed reduction in the price's currency; never more than the price (checked where the price is known). */
export const AmountDiscount = Schema.Struct({
  kind: Schema.Literal("amount"),
  amount: MinorUnits.pipe(Schema.positive({ message: () => "an amount discount is at least 1 minor unit" })),
  endsAt: Schema.DateTimeUtc
})

export const Discount = Schema.Union(PercentDiscount, AmountDiscount)
export type Discount = typeof Discount.Type

export const isFree = (price: Money): boolean => price.amount === 0

/** Why a discount cannot apply to a price, or undefined when it can. */
export const discountProblem = (price: Money, discount: Discount): string | undefined => {
  if (isFree(price)) return "a free course has no discount"
  if (discount.kind === "amount" && discount.amount > price.amount) return "the discount is larger than the price"
  return undefined
}

/** The price a buyer pays at `now`: the discount applies until `endsAt` (exclusive), rounded to whole minor units. */
export const priceAt = (price: Money, discount: Discount | null, now: DateTime.Utc): Money => {
  if (discount === null || !DateTime.lessThan(now, discount.endsAt)) return price
  const off = discount.kind === "percent" ? Math.round((price.amount * discount.percent) / 100) : discount.amount
  return { amount: Math.max(0, price.amount - off), currency: price.currency }
}
