// Branded identifiers shared by every service: a UUID string that cannot be mixed up with another kind of id.
import { Schema } from "effect"

export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

export const CreatorApplicationId = Schema.UUID.pipe(Schema.brand("CreatorApplicationId"))
export type CreatorApplicationId = typeof CreatorApplicationId.Type

export const CourseId = Schema.UUID.pipe(Schema.brand("CourseId"))
export type CourseId = typeof CourseId.Type

export const CategoryId = Schema.UUID.pipe(Schema.brand("CategoryId"))
export type CategoryId = typeof CategoryId.Type

export const SectionId = Schema.UUID.pipe(Schema.brand("SectionId"))
export type SectionId = typeof SectionId.Type

export const LessonId = Schema.UUID.pipe(Schema.brand("LessonId"))
export type LessonId = typeof LessonId.Type

export const MediaId = Schema.UUID.pipe(Schema.brand("MediaId"))
export type MediaId = typeof MediaId.Type

export const QuizId = Schema.UUID.pipe(Schema.brand("QuizId"))
export type QuizId = typeof QuizId.Type

export const ImageId = Schema.UUID.pipe(Schema.brand("ImageId"))
export type ImageId = typeof ImageId.Type
