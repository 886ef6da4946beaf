// One-time email codes and refresh tokens: random secrets that are stored only as hashes.
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto"

/** Six random digits, uniformly drawn. */
export const newEmailCode = (): string => randomInt(0, 1_000_000).toString().padStart(6, "0")

/** 256 random bits, URL-safe. */
export const newRefreshToken = (): string => randomBytes(32).toString("base64url")

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("base64url")

/** The code hash is bound to the user, so one hash cannot be replayed for another account. */
export const hashEmailCode = (userId: string, code: string): string => sha256(`${userId}:${code}`)

export const sameHash = (a: string, b: string): boolean => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
