// Account server functions beyond signing in: forgot/reset password, the profile, and signing out everywhere.

import { action, query } from "@solidjs/router"
import type { FormFailure, Outcome } from "./outcome.ts"

/** The signed-in user's profile as the form shows it. */
export interface Profile {
  readonly name: string
  readonly email: string
  readonly role: string
  readonly bio: string | null
  readonly website: string | null
  readonly country: string | null
  readonly avatarUrl: string | null
}

export const forgotPassword = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { requestPasswordReset } = await import("../server/profile.ts")
  return requestPasswordReset(form)
}, "forgotPassword")

export const resetPassword = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { resetPassword: reset } = await import("../server/profile.ts")
  return reset(form)
}, "resetPassword")

export const getProfile = query(async (): Promise<Outcome<Profile>> => {
  "use server"
  const { profile } = await import("../server/profile.ts")
  return profile()
}, "profile")

export const updateProfile = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { saveProfile } = await import("../server/profile.ts")
  return saveProfile(form)
}, "updateProfile")

export const logoutEverywhere = action(async (): Promise<FormFailure> => {
  "use server"
  const { signOutEverywhere } = await import("../server/profile.ts")
  return signOutEverywhere()
}, "logoutEverywhere")
