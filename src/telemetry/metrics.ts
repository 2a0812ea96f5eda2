/**
 * The service's meter, from the OpenTelemetry SDK's own provider (not the global API, which
 * Deno's built-in telemetry may own), read as Prometheus text at `GET /metrics`, and pushed over
 * OTLP as well when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 */
import type { Meter } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import type { Route } from "../http/http_server.ts";

/** The meter and how its readings leave the process. */
export interface Metrics {
  meter: Meter;
  /** `GET /metrics`: every instrument in Prometheus text format. */
  route: Route;
  /** Flushes the OTLP exporter, if any, and stops the readers. */
  shutdown(): Promise<void>;
}

/** Milliseconds between OTLP pushes. */
const OTLP_INTERVAL_MS = 15_000;

/** Creates the meter; `env` is where `OTEL_EXPORTER_OTLP_ENDPOINT` is looked up. */
export function createMetrics(
  options: { env?: Record<string, string | undefined>; service?: string } = {},
): Metrics {
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: IMetricReader[] = [prometheus];
  if (options.env?.OTEL_EXPORTER_OTLP_ENDPOINT) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: OTLP_INTERVAL_MS,
      }),
    );
  }
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": options.service ?? "identity-sync" }),
    readers,
  });
  const serializer = new PrometheusSerializer();
  return {
    meter: provider.getMeter("identity-sync"),
    route: async (request, url) => {
      if (url.pathname !== "/metrics") return undefined;
      if (request.method !== "GET" && request.method !== "HEAD") return undefined;
      const { resourceMetrics } = await prometheus.collect();
      return new Response(serializer.serialize(resourceMetrics), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    },
    shutdown: () => provider.shutdown(),
  };
}
