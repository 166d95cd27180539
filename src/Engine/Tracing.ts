/**
 * Traces of the engine's work: every op the solver runs (and every module function call) is an Effect span
 * (`Dag/internal/OpSpan.ts`); with `OTEL_EXPORTER_OTLP_ENDPOINT` set (as OpenTelemetry's SDKs read it: the
 * collector's base URL, `/v1/traces` appended; or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as is), they are
 * exported to that OpenTelemetry collector by OTLP over HTTP (JSON), through @effect/opentelemetry. Without it,
 * nothing is loaded and spans stay in the process. Spans are sent in batches, and flushed when the engine stops.
 */
import { Config, Effect, Layer, Option } from "effect"
import { version } from "./Protocol.js"

/**
 * The service name spans carry (`service.name`), unless `OTEL_SERVICE_NAME` says otherwise.
 *
 * @category constants
 */
export const serviceName = "dirk-engine"

const endpoint = Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT")).pipe(
  Config.zipWith(Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")), (a, b) => Option.orElse(b, () => a))
)

/** A CommonJS module imported from the bundle: its exports are under `default`. */
const commonJs = <A extends object>(mod: A): A => ("default" in mod && mod.default !== null && typeof mod.default === "object" ? mod.default as A : mod)

/**
 * Sets the engine's tracer to an OTLP exporter when an endpoint is configured; otherwise does nothing. Provide it
 * to the engine's layers (it must be built before them: they capture the tracer when they are built).
 *
 * @category layers
 */
export const layer: Layer.Layer<never> = Layer.unwrapEffect(Effect.gen(function*() {
  const configured = yield* Effect.orDie(endpoint)
  if (Option.isNone(configured)) return Layer.empty
  const name = yield* Effect.orDie(Config.withDefault(Config.string("OTEL_SERVICE_NAME"), serviceName))
  // loaded only when asked for: the OpenTelemetry SDK costs start-up time
  const [OtelTracer, OtelResource, SdkBase, Exporter] = yield* Effect.promise(() =>
    Promise.all([
      import("@effect/opentelemetry/Tracer"),
      import("@effect/opentelemetry/Resource"),
      import("@opentelemetry/sdk-trace-base").then(commonJs),
      import("@opentelemetry/exporter-trace-otlp-http").then(commonJs)
    ])
  )
  const resource = OtelResource.layer({ serviceName: name, serviceVersion: version })
  const provider = Layer.scoped(
    OtelTracer.OtelTracerProvider,
    Effect.flatMap(OtelResource.Resource, (res) =>
      Effect.acquireRelease(
        Effect.sync(() =>
          new SdkBase.BasicTracerProvider({
            resource: res,
            spanProcessors: [new SdkBase.BatchSpanProcessor(new Exporter.OTLPTraceExporter(), { scheduledDelayMillis: 500 })]
          })
        ),
        (p) => Effect.promise(() => p.shutdown().catch(() => undefined)).pipe(Effect.timeout("5 seconds"), Effect.ignore)
      ))
  )
  return OtelTracer.layer.pipe(Layer.provide(provider), Layer.provide(resource), Layer.discard)
}))
