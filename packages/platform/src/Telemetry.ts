// Tracing and logging for a process: OTLP spans only when an exporter is configured, JSON logs at LOG_LEVEL.
import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Logger, LogLevel, Option } from "effect"

export const TelemetrySettings = Config.all({
  otlpEndpoint: Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT")),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("lectern")),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
})

/** True when spans go somewhere; handlers skip span work entirely otherwise. */
export const tracingEnabled = Effect.map(TelemetrySettings, (settings) => Option.isSome(settings.otlpEndpoint))

/**
 * OTLP/HTTP trace export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Otherwise the tracer is switched off, so every
 * `withSpan`/`Effect.fn` span is a no-op instead of a timed, attributed span object nobody reads.
 */
export const layerTracing = Layer.unwrapEffect(
  Effect.map(TelemetrySettings, (settings) =>
    Option.match(settings.otlpEndpoint, {
      onNone: () => Layer.setTracerEnabled(false),
      onSome: (endpoint) =>
        NodeSdk.layer(() => ({
          resource: { serviceName: settings.serviceName },
          spanProcessor: new BatchSpanProcessor(
            new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, "")}/v1/traces` })
          )
        }))
    })
  )
)

/** Structured JSON log lines (with the fiber's annotations and spans) at `LOG_LEVEL`. */
export const layerLogging = Layer.unwrapEffect(
  Effect.map(TelemetrySettings, (settings) => Layer.merge(Logger.json, Logger.minimumLogLevel(settings.logLevel)))
)

export const layerTelemetry = Layer.merge(layerTracing, layerLogging)
