// @lectern/domain: the Schemas every package and service shares.
export * from "./CourseFacets.ts"
export * from "./Email.ts"
export * from "./Errors.ts"
export * from "./Ids.ts"
export * from "./Money.ts"
export * from "./Page.ts"
export * from "./Role.ts"
export * from "./Slug.ts"
