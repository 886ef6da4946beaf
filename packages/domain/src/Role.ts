// Roles, ordered learner < creator < admin, and the one comparison every policy uses.
import { Schema } from "effect"

export const Role = Schema.Literal("learner", "creator", "admin")
export type Role = typeof Role.Type

const rank: Record<Role, number> = { learner: 0, creator: 1, admin: 2 }

/** True when `role` is at least `required` in the learner < creator < admin order. */
export const hasRole = (role: Role, required: Role): boolean => rank[role] >= rank[required]
