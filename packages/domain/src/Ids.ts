// Branded identifiers shared by every service: a UUID string that cannot be mixed up with another kind of id.
import { Schema } from "effect"

export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

export const CreatorApplicationId = Schema.UUID.pipe(Schema.brand("CreatorApplicationId"))
export type CreatorApplicationId = typeof CreatorApplicationId.Type

export const CourseId = Schema.UUID.pipe(Schema.brand("CourseId"))
export type CourseId = typeof CourseId.Type
