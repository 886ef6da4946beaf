// Checks the deployment files under infra/ against each other and against the gateway's configuration surface.
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, type ParseResult, Schema } from "effect"
import { parseAllDocuments } from "yaml"
import { BUILD_COMPLETE_MARK } from "../src/WebApp.ts"

/** Every environment variable the gateway (or a service running alone) reads. */
const configurationNames: ReadonlyArray<string> = [
  "PORT",
  "HOST",
  "TRUST_PROXY",
  "ACCESS_LOG",
  "OTEL_SERVICE_NAME",
  "DATABASE_URL",
  "DATABASE_POOL_SIZE",
  "LECTERN_DATA_DIR",
  "REDIS_URL",
  "SMTP_URL",
  "MAIL_FROM",
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "S3_FORCE_PATH_STYLE",
  "AUTH_SIGNING_KEYS",
  "AUTH_ISSUER",
  "AUTH_AUDIENCE",
  "AUTH_JWKS_URL",
  "CORS_ORIGINS",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "LECTERN_ADMIN_EMAIL",
  "LECTERN_ADMIN_PASSWORD",
  "LOG_LEVEL",
  "MEDIA_SIGNING_SECRET",
  "CERTIFICATE_SECRET",
  "PUBLIC_URL"
]

/** Names whose values carry credentials: they belong in a Secret, never in a ConfigMap. */
const secretNames: ReadonlyArray<string> = [
  "DATABASE_URL",
  "REDIS_URL",
  "SMTP_URL",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "AUTH_SIGNING_KEYS",
  "LECTERN_ADMIN_PASSWORD",
  "MEDIA_SIGNING_SECRET",
  "CERTIFICATE_SECRET"
]

/** What compose must hand the gateway so that no part falls back to its embedded default. */
const composeWiring = [
  "DATABASE_URL",
  "REDIS_URL",
  "SMTP_URL",
  "MAIL_FROM",
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
  "S3_FORCE_PATH_STYLE",
  "MEDIA_SIGNING_SECRET",
  "CERTIFICATE_SECRET",
  "OTEL_EXPORTER_OTLP_ENDPOINT"
]

/** Compose services that may lack a healthcheck, and why. */
const composeServicesWithoutHealthcheck = new Map([
  ["otel-collector", "a single static binary: no shell or HTTP client inside to run a check"]
])

const Strings = Schema.Record({ key: Schema.String, value: Schema.String })

const ComposeService = Schema.Struct({
  image: Schema.optional(Schema.String),
  build: Schema.optional(Schema.Struct({ context: Schema.String, dockerfile: Schema.String })),
  command: Schema.optional(Schema.Array(Schema.String)),
  environment: Schema.optional(Strings),
  healthcheck: Schema.optional(Schema.Struct({ test: Schema.NonEmptyArray(Schema.String) })),
  depends_on: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        condition: Schema.Literal("service_started", "service_healthy", "service_completed_successfully")
      })
    })
  ),
  volumes: Schema.optional(Schema.Array(Schema.String)),
  restart: Schema.optional(Schema.String)
})
type ComposeService = typeof ComposeService.Type

const ComposeFile = Schema.Struct({ services: Schema.Record({ key: Schema.String, value: ComposeService }) })

const Kustomization = Schema.Struct({
  kind: Schema.Literal("Kustomization"),
  resources: Schema.Array(Schema.String),
  patches: Schema.optional(Schema.Array(Schema.Struct({ path: Schema.String }))),
  images: Schema.optional(Schema.Array(Schema.Struct({ name: Schema.String, newTag: Schema.optional(Schema.String) })))
})

const ObjectRef = Schema.Struct({ kind: Schema.String, metadata: Schema.Struct({ name: Schema.String }) })

const HttpProbe = Schema.Struct({
  httpGet: Schema.Struct({ path: Schema.String, port: Schema.Union(Schema.String, Schema.Number) })
})

const Container = Schema.Struct({
  name: Schema.String,
  image: Schema.String,
  ports: Schema.NonEmptyArray(Schema.Struct({ name: Schema.String, containerPort: Schema.Number })),
  envFrom: Schema.Array(
    Schema.Union(
      Schema.Struct({ configMapRef: Schema.Struct({ name: Schema.String }) }),
      Schema.Struct({ secretRef: Schema.Struct({ name: Schema.String }) })
    )
  ),
  startupProbe: Schema.optional(HttpProbe),
  readinessProbe: HttpProbe,
  livenessProbe: HttpProbe,
  resources: Schema.Struct({
    requests: Schema.Struct({ cpu: Schema.String, memory: Schema.String }),
    limits: Schema.Struct({ memory: Schema.String })
  }),
  securityContext: Schema.Struct({
    allowPrivilegeEscalation: Schema.Literal(false),
    readOnlyRootFilesystem: Schema.Literal(true),
    capabilities: Schema.Struct({ drop: Schema.Array(Schema.String) })
  }),
  volumeMounts: Schema.Array(Schema.Struct({ name: Schema.String, mountPath: Schema.String }))
})

const Deployment = Schema.Struct({
  kind: Schema.Literal("Deployment"),
  metadata: Schema.Struct({ name: Schema.String }),
  spec: Schema.Struct({
    replicas: Schema.Number,
    selector: Schema.Struct({ matchLabels: Strings }),
    template: Schema.Struct({
      metadata: Schema.Struct({ labels: Strings }),
      spec: Schema.Struct({
        securityContext: Schema.Struct({ runAsNonRoot: Schema.Literal(true), runAsUser: Schema.Number }),
        containers: Schema.NonEmptyArray(Container),
        volumes: Schema.Array(
          Schema.Struct({
            name: Schema.String,
            emptyDir: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
          })
        )
      })
    })
  })
})

const Service = Schema.Struct({
  kind: Schema.Literal("Service"),
  spec: Schema.Struct({
    selector: Strings,
    ports: Schema.NonEmptyArray(Schema.Struct({ targetPort: Schema.Union(Schema.String, Schema.Number) }))
  })
})

const ConfigMap = Schema.Struct({
  kind: Schema.Literal("ConfigMap"),
  metadata: Schema.Struct({ name: Schema.String }),
  data: Strings
})

const Secret = Schema.Struct({
  kind: Schema.Literal("Secret"),
  metadata: Schema.Struct({ name: Schema.String }),
  stringData: Strings
})

const Autoscaler = Schema.Struct({
  kind: Schema.Literal("HorizontalPodAutoscaler"),
  spec: Schema.Struct({
    scaleTargetRef: Schema.Struct({ apiVersion: Schema.String, kind: Schema.String, name: Schema.String }),
    minReplicas: Schema.Number,
    maxReplicas: Schema.Number
  })
})

const DisruptionBudget = Schema.Struct({
  kind: Schema.Literal("PodDisruptionBudget"),
  spec: Schema.Struct({ selector: Schema.Struct({ matchLabels: Strings }) })
})

const ReplicasPatch = Schema.Struct({
  kind: Schema.Literal("Deployment"),
  spec: Schema.optional(Schema.Struct({ replicas: Schema.optional(Schema.Number) }))
})

const AutoscalerPatch = Schema.Struct({
  kind: Schema.Literal("HorizontalPodAutoscaler"),
  spec: Schema.optional(Schema.Struct({ minReplicas: Schema.optional(Schema.Number) }))
})

const ConfigMapPatch = Schema.Struct({ kind: Schema.Literal("ConfigMap"), data: Strings })

const CollectorConfig = Schema.Struct({
  receivers: Schema.Struct({
    otlp: Schema.Struct({
      protocols: Schema.Struct({
        grpc: Schema.Struct({ endpoint: Schema.String }),
        http: Schema.Struct({ endpoint: Schema.String })
      })
    })
  }),
  processors: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  exporters: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  service: Schema.Struct({
    pipelines: Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        receivers: Schema.NonEmptyArray(Schema.String),
        processors: Schema.Array(Schema.String),
        exporters: Schema.NonEmptyArray(Schema.String)
      })
    })
  })
})

const PackageJson = Schema.Struct({
  scripts: Schema.Struct({ start: Schema.String, prestart: Schema.String, "build:web": Schema.String })
})

const repoRoot = Effect.map(Path.Path, (path) => path.resolve(import.meta.dirname, "../../.."))

const inRepo = (...segments: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    return path.join(yield* repoRoot, ...segments)
  })

/** Every YAML document in a file; fails on any parse error rather than yielding a partial document. */
const readYamlDocuments = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const documents = parseAllDocuments(yield* fs.readFileString(file))
    for (const document of documents) {
      expect(
        document.errors.map((error) => error.message),
        file
      ).toEqual([])
    }
    return documents.map((document): unknown => document.toJS())
  })

const readYaml = <A, I>(schema: Schema.Schema<A, I>, file: string) =>
  Effect.gen(function* () {
    const documents = yield* readYamlDocuments(file)
    expect(documents, file).toHaveLength(1)
    return yield* Schema.decodeUnknown(schema)(documents[0])
  })

const decodesAs =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (document: unknown): boolean =>
    Schema.decodeUnknownEither(schema)(document)._tag === "Right"

/** The one object of a kind among rendered documents, decoded (a decoding failure names the missing field). */
const the = <A, I>(kind: string, schema: Schema.Schema<A, I>, documents: ReadonlyArray<unknown>): A => {
  const ofKind = documents.filter(
    (document) => decodesAs(ObjectRef)(document) && Schema.decodeUnknownSync(ObjectRef)(document).kind === kind
  )
  expect(ofKind, kind).toHaveLength(1)
  return Schema.decodeUnknownSync(schema)(ofKind[0])
}

/** A Dockerfile's instructions, continuation lines joined and comments dropped. */
const dockerInstructions = (source: string) =>
  source
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replaceAll(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const space = line.indexOf(" ")
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() }
    })

const composeFile = Effect.flatMap(inRepo("infra", "compose.yaml"), (file) => readYaml(ComposeFile, file))

const serviceNamed = (services: Readonly<Record<string, ComposeService>>, name: string): ComposeService => {
  const service = services[name]
  expect(service, `compose service ${name}`).toBeDefined()
  return service!
}

const oneShots = (services: Readonly<Record<string, ComposeService>>) =>
  new Set(
    Object.values(services).flatMap((service) =>
      Object.entries(service.depends_on ?? {})
        .filter(([, dependency]) => dependency.condition === "service_completed_successfully")
        .map(([name]) => name)
    )
  )

/** The documents a kustomization renders (before patches), its own directory's files and its bases'. */
const kustomizationDocuments = (
  directory: string
): Effect.Effect<ReadonlyArray<unknown>, ParseResult.ParseError | PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const kustomization = yield* readYaml(Kustomization, path.join(directory, "kustomization.yaml"))
    const documents: Array<unknown> = []
    for (const resource of kustomization.resources) {
      const target = path.join(directory, resource)
      expect(yield* fs.exists(target), `${directory}: resource ${resource}`).toBe(true)
      const info = yield* fs.stat(target)
      if (info.type === "Directory") documents.push(...(yield* kustomizationDocuments(target)))
      else documents.push(...(yield* readYamlDocuments(target)))
    }
    return documents
  })

const baseDirectory = inRepo("infra", "k8s", "base")

const baseDocuments = Effect.flatMap(baseDirectory, kustomizationDocuments)

const overlays = ["dev", "prod"]

layer(NodeContext.layer)("deployment files", (it) => {
  it.effect("every YAML file under infra/ parses without errors", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const infra = yield* inRepo("infra")
      const yamlFiles = (yield* fs.readDirectory(infra, { recursive: true })).filter((file) => /\.ya?ml$/.test(file))
      expect(yamlFiles).toEqual(
        expect.arrayContaining(["compose.yaml", "otel-collector.yaml", path.join("k8s", "base", "kustomization.yaml")])
      )
      for (const file of yamlFiles) {
        const documents = yield* readYamlDocuments(path.join(infra, file))
        expect(documents.length, file).toBeGreaterThan(0)
        for (const document of documents) expect(document, file).toBeTypeOf("object")
      }
    })
  )

  describe("Dockerfile", () => {
    it.effect("runs `npm start`'s entry point on Node 24 slim, as a non-root user, checked on /health", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const instructions = dockerInstructions(yield* fs.readFileString(yield* inRepo("infra", "Dockerfile")))
        const keyword = (name: string) => instructions.filter((instruction) => instruction.keyword === name)

        expect(keyword("ARG").map(({ args }) => args)).toContain("NODE_IMAGE=node:24-bookworm-slim")
        const stages = keyword("FROM")
        expect(stages.length).toBeGreaterThan(1)
        for (const stage of stages) expect(stage.args).toMatch(/^\$\{NODE_IMAGE\} AS /)

        const finalStage = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]!))
        const inFinal = (name: string) => finalStage.filter((instruction) => instruction.keyword === name)
        expect(inFinal("RUN").some(({ args }) => /apt-get install .*\bffmpeg\b/.test(args))).toBe(true)

        const users = inFinal("USER")
        expect(users).toHaveLength(1)
        const uid = Number(users[0]!.args.split(":")[0])
        expect(uid).toBeGreaterThan(0)

        expect(inFinal("EXPOSE").map(({ args }) => args)).toEqual(["3000"])
        expect(inFinal("HEALTHCHECK")[0]?.args).toContain("/health")

        const cmd = yield* Schema.decodeUnknown(Schema.parseJson(Schema.Array(Schema.String)))(
          inFinal("CMD")[0]?.args ?? ""
        )
        const packageJson = yield* Schema.decodeUnknown(Schema.parseJson(PackageJson))(
          yield* fs.readFileString(yield* inRepo("package.json"))
        )
        expect(cmd.join(" ")).toBe(packageJson.scripts.start)
      })
    )

    it.effect("builds the web app, complete, in the stage the final image copies the app from", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const instructions = dockerInstructions(yield* fs.readFileString(yield* inRepo("infra", "Dockerfile")))
        const packageJson = yield* Schema.decodeUnknown(Schema.parseJson(PackageJson))(
          yield* fs.readFileString(yield* inRepo("package.json"))
        )
        // `npm run build:web` is what `npm start` runs when web/dist is stale, forced: vite build, then the mark.
        expect(packageJson.scripts["build:web"]).toBe(`${packageJson.scripts.prestart} --force`)

        const stageStarts = instructions.flatMap((instruction, index) =>
          instruction.keyword === "FROM" ? [index] : []
        )
        const stageOf = (index: number) => {
          const start = stageStarts.filter((at) => at <= index).pop() ?? 0
          return instructions[start]!.args.split(/\s+AS\s+/i)[1]
        }
        const buildIndex = instructions.findIndex(
          ({ keyword, args }) => keyword === "RUN" && /(^|&&\s*)npm run build:web\b/.test(args)
        )
        expect(buildIndex, "a RUN npm run build:web").toBeGreaterThan(-1)
        const buildRun = instructions[buildIndex]!.args
        // The build fails unless the gateway would serve it: the mark and the server entry exist.
        expect(buildRun).toContain(`test -f web/dist/${BUILD_COMPLETE_MARK}`)
        expect(buildRun).toContain("test -f web/dist/server/entry-server.js")
        // After the sources are copied in, so it builds them.
        const copiedSources = instructions.findIndex(
          ({ keyword, args }, index) => keyword === "COPY" && args === ". ." && stageOf(index) === stageOf(buildIndex)
        )
        expect(copiedSources).toBeGreaterThan(-1)
        expect(copiedSources).toBeLessThan(buildIndex)

        const finalStart = stageStarts[stageStarts.length - 1]!
        const copiesApp = instructions
          .slice(finalStart)
          .some(({ keyword, args }) => keyword === "COPY" && args === `--from=${stageOf(buildIndex)} /app /app`)
        expect(copiesApp, "the final stage copies /app (with web/dist) from the web build's stage").toBe(true)
        expect(buildIndex).toBeLessThan(finalStart)
      })
    )

    it.effect("keeps installed and local files out of the build context", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const ignored = (yield* fs.readFileString(yield* inRepo("infra", "Dockerfile.dockerignore")))
          .split("\n")
          .map((line) => line.trim())
        // A local web/dist never enters: the image builds its own from the sources.
        expect(ignored).toEqual(expect.arrayContaining(["**/node_modules", "**/dist", "**/.lectern", ".git"]))
      })
    )
  })

  describe("compose", () => {
    it.effect("gives every long-running service a healthcheck, and waits on health only where one exists", () =>
      Effect.gen(function* () {
        const { services } = yield* composeFile
        const runOnce = oneShots(services)
        for (const [name, service] of Object.entries(services)) {
          if (runOnce.has(name)) {
            expect(service.restart, `${name} runs once`).toBe("no")
          } else if (!composeServicesWithoutHealthcheck.has(name)) {
            expect(service.healthcheck?.test[0], `${name} healthcheck`).toMatch(/^CMD(-SHELL)?$/)
          }
          for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
            const target = serviceNamed(services, dependency)
            if (condition === "service_healthy") expect(target.healthcheck, `${name} -> ${dependency}`).toBeDefined()
          }
        }
      })
    )

    it.effect("hands the gateway known configuration names, wired to the services it waits for", () =>
      Effect.gen(function* () {
        const { services } = yield* composeFile
        const gateway = serviceNamed(services, "gateway")
        const environment = gateway.environment ?? {}

        for (const name of Object.keys(environment)) expect(configurationNames, name).toContain(name)
        for (const name of composeWiring) expect(Object.keys(environment), name).toContain(name)

        const dependsOn = gateway.depends_on ?? {}
        for (const name of ["DATABASE_URL", "REDIS_URL", "SMTP_URL", "S3_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
          const host = new URL(environment[name]!).hostname
          serviceNamed(services, host)
          expect(Object.keys(dependsOn), `gateway waits for ${host} (${name})`).toContain(host)
        }
        for (const [name, { condition }] of Object.entries(dependsOn)) {
          if (services[name]?.healthcheck !== undefined) expect(condition, name).toBe("service_healthy")
        }
      })
    )

    it.effect("gives the gateway the credentials its dependencies were started with", () =>
      Effect.gen(function* () {
        const { services } = yield* composeFile
        const environment = serviceNamed(services, "gateway").environment ?? {}

        const postgres = serviceNamed(services, "postgres").environment ?? {}
        const databaseUrl = new URL(environment.DATABASE_URL!)
        expect(databaseUrl.username).toBe(postgres.POSTGRES_USER)
        expect(decodeURIComponent(databaseUrl.password)).toBe(postgres.POSTGRES_PASSWORD)
        expect(databaseUrl.pathname).toBe(`/${postgres.POSTGRES_DB}`)

        const s3Host = new URL(environment.S3_ENDPOINT!).hostname
        const minio = serviceNamed(services, s3Host).environment ?? {}
        expect(environment.S3_ACCESS_KEY_ID).toBe(minio.MINIO_ROOT_USER)
        expect(environment.S3_SECRET_ACCESS_KEY).toBe(minio.MINIO_ROOT_PASSWORD)
        expect(environment.S3_FORCE_PATH_STYLE).toBe("true")

        const bucketCreators = [...oneShots(services)].filter((name) => {
          const command = serviceNamed(services, name).command ?? []
          return command.includes("mb") && command[command.length - 1]?.endsWith(`/${environment.S3_BUCKET}`)
        })
        expect(bucketCreators, `a one-shot creates bucket ${environment.S3_BUCKET}`).toHaveLength(1)
      })
    )

    it.effect("builds the gateway from infra/Dockerfile, checks /health on its port, and mounts files that exist", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const { services } = yield* composeFile
        const infra = yield* inRepo("infra")
        const gateway = serviceNamed(services, "gateway")

        const build = gateway.build!
        expect(path.join(infra, build.context, build.dockerfile)).toBe(path.join(infra, "Dockerfile"))
        expect(gateway.healthcheck?.test.join(" ")).toContain(`http://127.0.0.1:${gateway.environment?.PORT}/health`)

        for (const [name, service] of Object.entries(services)) {
          for (const volume of service.volumes ?? []) {
            const source = volume.split(":")[0]!
            if (source.startsWith(".")) {
              expect(yield* fs.exists(path.join(infra, source)), `${name} mounts ${source}`).toBe(true)
            }
          }
        }
      })
    )
  })

  describe("kubernetes", () => {
    it.effect("every kustomization's resources and patches exist, and patches target base objects", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const base = yield* baseDocuments
        const baseObjects = base.map((document) => Schema.decodeUnknownSync(ObjectRef)(document))
        const baseKeys = baseObjects.map(({ kind, metadata }) => `${kind}/${metadata.name}`)
        for (const overlay of overlays) {
          const directory = yield* inRepo("infra", "k8s", "overlays", overlay)
          yield* kustomizationDocuments(directory)
          const kustomization = yield* readYaml(Kustomization, path.join(directory, "kustomization.yaml"))
          for (const patch of kustomization.patches ?? []) {
            const file = path.join(directory, patch.path)
            expect(yield* fs.exists(file), `${overlay}: patch ${patch.path}`).toBe(true)
            const { kind, metadata } = yield* readYaml(ObjectRef, file)
            expect(baseKeys, `${overlay}: ${patch.path}`).toContain(`${kind}/${metadata.name}`)
          }
          const deployment = the("Deployment", Deployment, base)
          const imageNames = (kustomization.images ?? []).map(({ name }) => name)
          expect(imageNames, `${overlay} sets the gateway image`).toContain(
            deployment.spec.template.spec.containers[0].image
          )
        }
      })
    )

    it.effect("probes /ready for readiness and /health for liveness on the container's port", () =>
      Effect.gen(function* () {
        const base = yield* baseDocuments
        const deployment = the("Deployment", Deployment, base)
        const container = deployment.spec.template.spec.containers[0]
        const port = container.ports[0]
        const isContainerPort = (probePort: string | number) =>
          probePort === port.name || probePort === port.containerPort

        expect(container.readinessProbe.httpGet.path).toBe("/ready")
        expect(container.livenessProbe.httpGet.path).toBe("/health")
        expect(container.startupProbe?.httpGet.path ?? "/health").toBe("/health")
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          if (probe !== undefined) expect(isContainerPort(probe.httpGet.port)).toBe(true)
        }

        const configMap = the("ConfigMap", ConfigMap, base)
        expect(Number(configMap.data.PORT)).toBe(port.containerPort)
        const service = the("Service", Service, base)
        expect(isContainerPort(service.spec.ports[0].targetPort)).toBe(true)
      })
    )

    it.effect("runs as non-root on a read-only root filesystem with /tmp on an emptyDir", () =>
      Effect.gen(function* () {
        const deployment = the("Deployment", Deployment, yield* baseDocuments)
        const pod = deployment.spec.template.spec
        const container = pod.containers[0]
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
        expect(container.securityContext.capabilities.drop).toContain("ALL")
        const tmp = container.volumeMounts.find(({ mountPath }) => mountPath === "/tmp")
        expect(tmp).toBeDefined()
        const volume = pod.volumes.find(({ name }) => name === tmp?.name)
        expect(volume?.emptyDir).toBeDefined()
      })
    )

    it.effect("wires configuration: known names, secrets only in the Secret, placeholders only", () =>
      Effect.gen(function* () {
        const path = yield* Path.Path
        const base = yield* baseDocuments
        const configMap = the("ConfigMap", ConfigMap, base)
        const secret = the("Secret", Secret, base)
        const container = the("Deployment", Deployment, base).spec.template.spec.containers[0]

        const references = container.envFrom.map((source) =>
          "configMapRef" in source ? source.configMapRef.name : source.secretRef.name
        )
        expect(references.toSorted()).toEqual([configMap.metadata.name, secret.metadata.name].toSorted())

        for (const name of Object.keys(configMap.data)) {
          expect(configurationNames, name).toContain(name)
          expect(secretNames, `${name} is not secret`).not.toContain(name)
        }
        for (const [name, value] of Object.entries(secret.stringData)) {
          expect(configurationNames, name).toContain(name)
          expect(value, `${name} is a placeholder`).toContain("REPLACE_ME")
        }

        for (const overlay of overlays) {
          const directory = yield* inRepo("infra", "k8s", "overlays", overlay)
          const kustomization = yield* readYaml(Kustomization, path.join(directory, "kustomization.yaml"))
          for (const patch of kustomization.patches ?? []) {
            const [document] = yield* readYamlDocuments(path.join(directory, patch.path))
            if (!decodesAs(ConfigMapPatch)(document)) continue
            for (const name of Object.keys(Schema.decodeUnknownSync(ConfigMapPatch)(document).data)) {
              expect(configurationNames, `${overlay}: ${name}`).toContain(name)
              expect(secretNames, `${overlay}: ${name} is not secret`).not.toContain(name)
            }
          }
        }
      })
    )

    it.effect("selects the gateway's pods, and never deploys fewer replicas than the autoscaler's floor", () =>
      Effect.gen(function* () {
        const path = yield* Path.Path
        const base = yield* baseDocuments
        const deployment = the("Deployment", Deployment, base)
        const podLabels = deployment.spec.template.metadata.labels
        const selects = (selector: Readonly<Record<string, string>>) =>
          Object.entries(selector).every(([key, value]) => podLabels[key] === value)

        expect(selects(deployment.spec.selector.matchLabels)).toBe(true)
        expect(selects(the("Service", Service, base).spec.selector)).toBe(true)
        expect(selects(the("PodDisruptionBudget", DisruptionBudget, base).spec.selector.matchLabels)).toBe(true)

        const autoscaler = the("HorizontalPodAutoscaler", Autoscaler, base)
        expect(autoscaler.spec.scaleTargetRef).toEqual({
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: deployment.metadata.name
        })
        expect(autoscaler.spec.minReplicas).toBe(deployment.spec.replicas)
        expect(autoscaler.spec.maxReplicas).toBeGreaterThan(autoscaler.spec.minReplicas)

        for (const overlay of overlays) {
          const directory = yield* inRepo("infra", "k8s", "overlays", overlay)
          const kustomization = yield* readYaml(Kustomization, path.join(directory, "kustomization.yaml"))
          let replicas = deployment.spec.replicas
          let minReplicas = autoscaler.spec.minReplicas
          for (const patch of kustomization.patches ?? []) {
            const [document] = yield* readYamlDocuments(path.join(directory, patch.path))
            if (decodesAs(ReplicasPatch)(document)) {
              replicas = Schema.decodeUnknownSync(ReplicasPatch)(document).spec?.replicas ?? replicas
            }
            if (decodesAs(AutoscalerPatch)(document)) {
              minReplicas = Schema.decodeUnknownSync(AutoscalerPatch)(document).spec?.minReplicas ?? minReplicas
            }
          }
          expect(minReplicas, overlay).toBe(replicas)
        }
      })
    )
  })

  describe("OpenTelemetry collector", () => {
    it.effect("listens on all interfaces where compose sends, and its pipelines use only defined components", () =>
      Effect.gen(function* () {
        const config = yield* readYaml(CollectorConfig, yield* inRepo("infra", "otel-collector.yaml"))
        const { grpc, http } = config.receivers.otlp.protocols
        expect(grpc.endpoint).toBe("0.0.0.0:4317")
        expect(http.endpoint).toBe("0.0.0.0:4318")

        const { services } = yield* composeFile
        const endpoint = new URL(serviceNamed(services, "gateway").environment?.OTEL_EXPORTER_OTLP_ENDPOINT ?? "")
        expect(endpoint.port).toBe(http.endpoint.split(":")[1])

        const receivers = Object.keys(config.receivers)
        const processors = Object.keys(config.processors)
        const exporters = Object.keys(config.exporters)
        expect(Object.keys(config.service.pipelines).toSorted()).toEqual(["logs", "metrics", "traces"])
        for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
          for (const receiver of pipeline.receivers) expect(receivers, `${name}: ${receiver}`).toContain(receiver)
          for (const processor of pipeline.processors) expect(processors, `${name}: ${processor}`).toContain(processor)
          for (const exporter of pipeline.exporters) expect(exporters, `${name}: ${exporter}`).toContain(exporter)
        }
      })
    )
  })
})
