// Discovery on embedded PGlite, the database of `npm start`: the same SQL (tsvector, english stemming, keyset) must hold.

import { layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { searchSuite } from "./SearchSuite.ts"

searchSuite("catalog search on embedded PGlite", layerMemoryDatabase)
