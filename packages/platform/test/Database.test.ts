// The Database port's contract suite on both implementations: the machine's Postgres and embedded PGlite.
import { databaseSuite, layerFreshPostgres, layerMemoryDatabase } from "@lectern/testkit"

databaseSuite("postgres", layerFreshPostgres)
databaseSuite("embedded PGlite", layerMemoryDatabase)
