// What the account forms share on the server: reading fields, and turning auth's typed failures into a message for
// one field (or the whole form).
import "server-only"
import { Email } from "@lectern/domain"
import { Schema } from "effect"
import type { Failure, FormFailure } from "../lib/outcome.ts"

/** A form field as text ("" when absent or a file). */
export const text = (form: FormData, name: string) => {
  const value = form.get(name)
  return typeof value === "string" ? value : ""
}

export const fieldFailure = (field: string | undefined, message: string, tag = "InvalidInput"): FormFailure => ({
  field,
  message,
  tag
})

export const decodeEmail = (form: FormData) => Schema.decodeUnknownEither(Email)(text(form, "email").trim())

export const invalidEmail = fieldFailure("email", "Enter a valid email address, like ada@example.com.")

const retryText = (failure: Failure) => {
  const seconds = Number(failure.retryAfterSeconds ?? 0)
  return seconds > 90 ? `about ${Math.ceil(seconds / 60)} minutes` : `${Math.max(1, seconds)} seconds`
}

/** Fields an `InvalidInput` message may name, in the order they are looked for. */
const NAMED_FIELDS = ["email", "password", "name", "code", "bio", "website", "country", "avatarUrl"]

/** The message and field for each failure the account calls (register, sign-in, codes, profile) can answer. */
export const describeAuthFailure = (failure: Failure): FormFailure => {
  switch (failure._tag) {
    case "EmailTaken":
      return fieldFailure("email", "An account with this email already exists. Sign in instead.", failure._tag)
    case "WeakPassword":
      return fieldFailure(
        "password",
        failure.reason === "too_short"
          ? "Use at least 12 characters."
          : failure.reason === "too_long"
            ? "This password is too long."
            : "This password is too common. Choose another one.",
        failure._tag
      )
    case "InvalidCode":
      return fieldFailure("code", "This code is wrong or has expired. Check the latest email.", failure._tag)
    case "InvalidCredentials":
      return fieldFailure("password", "The email or password is not right.", failure._tag)
    case "EmailNotVerified":
      return fieldFailure("email", "This email is not verified yet. Enter the code we sent you.", failure._tag)
    case "AccountDisabled":
      return fieldFailure(undefined, "This account is disabled.", failure._tag)
    case "TooManyAttempts":
      return fieldFailure(undefined, `Too many attempts. Try again in ${retryText(failure)}.`, failure._tag)
    case "ServiceUnavailable":
      return fieldFailure(undefined, "Signing in is unavailable right now. Try again shortly.", failure._tag)
    case "Unauthorized":
      return fieldFailure(undefined, "Your session has ended. Sign in again.", failure._tag)
    case "InvalidInput":
      return fieldFailure(
        NAMED_FIELDS.find((name) => failure.message.includes(name)),
        failure.message,
        failure._tag
      )
    default:
      return fieldFailure(undefined, failure.message || "Something went wrong.", failure._tag)
  }
}
