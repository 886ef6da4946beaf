// @lectern/testkit: port contract suites and test fixtures shared by every package's tests.
export * from "./DatabaseSuite.ts"
export * from "./TestDatabase.ts"
