// Reading what a studio or admin action answered: its failure (for the fields), or whether it did what it says.
import type { FormFailure } from "../../lib/outcome.ts"

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** The action's failure, when it answered one. */
export const failureOf = (result: unknown): FormFailure | undefined =>
  isObject(result) && typeof result.tag === "string" && typeof result.message === "string"
    ? {
        field: typeof result.field === "string" ? result.field : undefined,
        message: result.message,
        tag: result.tag
      }
    : undefined

/** Whether the action answered `{ [flag]: true }` (saved, added, deleted, …). */
export const succeeded = (result: unknown, flag: string) => isObject(result) && result[flag] === true
