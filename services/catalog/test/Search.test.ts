// Discovery on the machine's real Postgres (a fresh database); the suite itself is in SearchSuite.ts.

import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { searchSuite } from "./SearchSuite.ts"

searchSuite("catalog search on Postgres", layerFreshPostgres)
