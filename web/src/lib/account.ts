// Account server functions: who is signed in, register → verify email → login → logout, and the dev mailbox.

import type { Auth } from "@lectern/contracts"
import { action, query, redirect } from "@solidjs/router"
import type { FormFailure, Outcome } from "./outcome.ts"

/** The signed-in user as the layout shows it, or null. */
export interface Viewer {
  readonly id: string
  readonly name: string
  readonly email: string
  readonly role: string
}

export const getViewer = query(async (): Promise<Viewer | null> => {
  "use server"
  const { lectern, hasSession } = await import("../server/lectern.ts")
  if (!hasSession()) return null
  const me = await lectern((c) => c.auth.user.me())
  if (!me.ok) return null
  return { id: me.value.id, name: me.value.name, email: me.value.email, role: me.value.role }
}, "viewer")

export const register = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { registerAccount } = await import("../server/account.ts")
  return registerAccount(form)
}, "register")

export const verifyEmail = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { verifyAccountEmail } = await import("../server/account.ts")
  return verifyAccountEmail(form)
}, "verifyEmail")

export const resendCode = action(async (form: FormData): Promise<FormFailure | { readonly sent: true }> => {
  "use server"
  const { resendVerification } = await import("../server/account.ts")
  return resendVerification(form)
}, "resendCode")

export const login = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { signIn } = await import("../server/account.ts")
  return signIn(form)
}, "login")

export const logout = action(async (): Promise<never> => {
  "use server"
  const { signOut } = await import("../server/account.ts")
  await signOut()
  throw redirect("/", { revalidate: getViewer.key })
}, "logout")

/** A sent mail as the dev mailbox lists it. */
export type Mail = typeof Auth.OutboxMail.Encoded

export const getOutbox = query(async (to: string | undefined): Promise<Outcome<ReadonlyArray<Mail>>> => {
  "use server"
  const { devOutbox } = await import("../server/account.ts")
  return devOutbox(to)
}, "outbox")
