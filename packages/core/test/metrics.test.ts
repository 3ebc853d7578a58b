import { describe, expect, it } from "vitest";
import { ConnectorMetrics, MetricsRegistry } from "../src/index.js";

describe("ConnectorMetrics", () => {
  it("counts, records histograms and errors", () => {
    const metrics = new ConnectorMetrics({ labels: { connector: "mqtt-1" } });
    metrics.incrementCounter("messages_received");
    metrics.incrementCounter("messages_received");
    metrics.incrementCounter("messages_valid");
    metrics.recordHistogram("message_size", 48);
    metrics.recordHistogram("message_size", 52);
    metrics.recordError("validation_failed", new Error("value missing"));
    const snapshot = metrics.snapshot();
    expect(snapshot.counters).toEqual({
      messages_received: 2,
      messages_valid: 1,
    });
    expect(snapshot.histograms.message_size).toMatchObject({
      count: 2,
      sum: 100,
      min: 48,
      max: 52,
      mean: 50,
    });
    expect(snapshot.errors.total).toBe(1);
    expect(snapshot.errors.by_kind).toEqual({ validation_failed: 1 });
    expect(snapshot.errors.recent[0]?.message).toBe("value missing");
  });

  it("renders the Prometheus text format", () => {
    const metrics = new ConnectorMetrics({ labels: { connector: 'a"b' } });
    metrics.incrementCounter("messages_received", 3);
    metrics.recordHistogram("message_size", 0.5);
    const text = metrics.toPrometheus();
    expect(text).toContain("# TYPE qubit_messages_received_total counter");
    expect(text).toContain(
      'qubit_messages_received_total{connector="a\\"b"} 3',
    );
    expect(text).toContain(
      'qubit_message_size_bucket{connector="a\\"b",le="1"} 1',
    );
    expect(text).toContain('qubit_message_size_count{connector="a\\"b"} 1');
  });

  it("shares one registry between instances", () => {
    const registry = new MetricsRegistry();
    new ConnectorMetrics({
      registry,
      labels: { connector: "a" },
    }).incrementCounter("x");
    new ConnectorMetrics({
      registry,
      labels: { connector: "b" },
    }).incrementCounter("x", 2);
    expect(registry.total("qubit_x_total")).toBe(3);
    expect(registry.total("qubit_x_total", { connector: "b" })).toBe(2);
  });

  it("rejects invalid metric names", () => {
    expect(() => new MetricsRegistry().counter("9lives")).toThrow(
      /Invalid metric name/,
    );
  });
});
