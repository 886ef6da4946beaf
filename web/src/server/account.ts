// The account flows on the server: form fields → typed auth calls → session cookies, or a message for one field.
import "server-only"
import { Auth } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { redirect } from "@solidjs/router"
import { Either, Schema } from "effect"
import type { Failure, FormFailure, Outcome } from "../lib/outcome.ts"
import { clearSession, currentRefreshToken, lectern, storeSession } from "./lectern.ts"
import { safeNext } from "./security.ts"

const encodeMails = Schema.encodeSync(Schema.Array(Auth.OutboxMail))

const text = (form: FormData, name: string) => {
  const value = form.get(name)
  return typeof value === "string" ? value : ""
}

const fieldFailure = (field: string | undefined, message: string, tag: string): FormFailure => ({ field, message, tag })

const decodeEmail = (form: FormData) => Schema.decodeUnknownEither(Email)(text(form, "email").trim())

const invalidEmail = fieldFailure("email", "Enter a valid email address, like ada@example.com.", "InvalidInput")

const retryText = (failure: Failure) => {
  const seconds = Number(failure.retryAfterSeconds ?? 0)
  return seconds > 90 ? `about ${Math.ceil(seconds / 60)} minutes` : `${Math.max(1, seconds)} seconds`
}

/** The message and field for each failure the account calls can answer. */
const describe = (failure: Failure): FormFailure => {
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
    case "InvalidInput": {
      const field = ["email", "password", "name", "code"].find((name) => failure.message.includes(name))
      return fieldFailure(field, failure.message, failure._tag)
    }
    default:
      return fieldFailure(undefined, failure.message || "Something went wrong.", failure._tag)
  }
}

export const registerAccount = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const name = text(form, "name").trim()
  if (name.length === 0) return fieldFailure("name", "Enter your name.", "InvalidInput")
  const password = text(form, "password")
  const result = await lectern((c) => c.auth.user.register({ email: email.right, password, name }))
  if (!result.ok) return describe(result.error)
  throw redirect(`/verify-email?email=${encodeURIComponent(email.right)}`)
}

export const verifyAccountEmail = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const code = text(form, "code").trim()
  if (!/^\d{6}$/.test(code)) return fieldFailure("code", "The code is the six digits from the email.", "InvalidInput")
  const session = await lectern((c) => c.auth.user.verifyEmail({ email: email.right, code }))
  if (!session.ok) return describe(session.error)
  storeSession(session.value)
  throw redirect("/?welcome=1")
}

export const resendVerification = async (form: FormData): Promise<FormFailure | { readonly sent: true }> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const result = await lectern((c) => c.auth.user.resendVerification({ email: email.right }))
  if (!result.ok) return describe(result.error)
  return { sent: true }
}

export const signIn = async (form: FormData): Promise<FormFailure> => {
  const email = decodeEmail(form)
  if (Either.isLeft(email)) return invalidEmail
  const password = text(form, "password")
  if (password.length === 0) return fieldFailure("password", "Enter your password.", "InvalidInput")
  const session = await lectern((c) => c.auth.session.login({ email: email.right, password }))
  if (!session.ok) return describe(session.error)
  storeSession(session.value)
  throw redirect(safeNext(text(form, "next")))
}

/** Revokes this browser's session at the auth service (when it still has one) and drops the cookies. */
export const signOut = async () => {
  const refreshToken = currentRefreshToken()
  if (refreshToken !== undefined) {
    // A session that is already gone is no reason to keep the cookies: the outcome does not matter here.
    await lectern((c) => c.auth.session.logout({ refreshToken }))
  }
  clearSession()
}

export const devOutbox = async (to: string | undefined) => {
  const mails = await lectern((c) => c.auth.dev.outbox(to === undefined || to === "" ? {} : { to }))
  if (!mails.ok) return mails
  return { ok: true, value: encodeMails(mails.value) } satisfies Outcome<ReadonlyArray<unknown>>
}
