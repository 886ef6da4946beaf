// Email addresses: Unicode-normalised (NFC), trimmed and lower-cased, so twins that look alike are one address.
import { Schema } from "effect"

const EMAIL_PATTERN = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]{2,}$/u

/** Turns any input into the one canonical form Lectern stores and compares. */
export const canonicalEmail = (raw: string): string => raw.normalize("NFC").trim().toLowerCase()

export const Email = Schema.transform(
  Schema.String.pipe(Schema.maxLength(320, { message: () => "email is too long" })),
  Schema.String.pipe(
    Schema.maxLength(254, { message: () => "email is too long" }),
    Schema.pattern(EMAIL_PATTERN, { message: () => "not an email address" })
  ),
  { strict: true, decode: canonicalEmail, encode: (email) => email }
).pipe(Schema.brand("Email"), Schema.annotations({ identifier: "Email" }))
export type Email = typeof Email.Type
