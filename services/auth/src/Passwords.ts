// Password rules and hashing: 12–128 characters, not a common password, argon2id at OWASP parameters off the main thread.

import { availableParallelism } from "node:os"
import { hash, verify } from "@node-rs/argon2"
import { dictionary } from "@zxcvbn-ts/language-common"
import { Effect } from "effect"

export const MIN_PASSWORD_LENGTH = 12
export const MAX_PASSWORD_LENGTH = 128

/** OWASP's argon2id minimum: m = 19 MiB, t = 2, p = 1 (algorithm 2 = argon2id). */
export const ARGON2ID_PARAMETERS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/** The ranked list of common passwords shipped by zxcvbn-ts (≈49,000 entries, far beyond the top 10,000). */
const commonPasswords = new Set(dictionary["passwords-common"].map((password) => password.toLowerCase()))

export type PasswordWeakness = "too_short" | "too_long" | "common"

/** Length counts Unicode code points of the NFC form, so "é" is one character however it was typed. */
export const passwordWeakness = (password: string): PasswordWeakness | undefined => {
  const normalized = password.normalize("NFC")
  const length = [...normalized].length
  if (length < MIN_PASSWORD_LENGTH) return "too_short"
  if (length > MAX_PASSWORD_LENGTH) return "too_long"
  if (commonPasswords.has(normalized.toLowerCase())) return "common"
  return undefined
}

/**
 * Hashing runs on libuv's thread pool (the native library), so other requests keep flowing during a login flood.
 * At most one hash per core runs at once: more would only make 19 MiB working sets fight over the same cores
 * (and over the pool the rest of Node's crypto needs), while the queue stays in this process.
 */
const hashingSlots = Effect.unsafeMakeSemaphore(Math.max(1, availableParallelism()))

export const hashPassword = (password: string) =>
  Effect.tryPromise(() => hash(password.normalize("NFC"), ARGON2ID_PARAMETERS)).pipe(
    Effect.orDie,
    hashingSlots.withPermits(1),
    Effect.withSpan("Passwords.hash")
  )

export const verifyPassword = (passwordHash: string, password: string) =>
  Effect.tryPromise(() => verify(passwordHash, password.normalize("NFC"))).pipe(
    Effect.orElseSucceed(() => false),
    hashingSlots.withPermits(1),
    Effect.withSpan("Passwords.verify")
  )

/** A real hash of a random password: verifying against it costs what a real verify costs, for unknown emails. */
export const makeDecoyHash = hashPassword(crypto.randomUUID())
