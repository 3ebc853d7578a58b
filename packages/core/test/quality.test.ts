import { describe, expect, it } from "vitest";
import {
  createReading,
  MetricsRegistry,
  QualityMonitor,
  type TimeSeries,
} from "../src/index.js";

function reading(metric: string, value: number, minute: number): TimeSeries {
  return createReading({
    asset_id: "inv-1",
    metric,
    value,
    unit: "W",
    timestamp: Date.UTC(2025, 0, 15, 10, minute),
    source: { protocol: "modbus", address: "inv-1" },
  });
}

describe("QualityMonitor", () => {
  it("counts missed readings from the series interval", () => {
    const monitor = new QualityMonitor();
    for (const minute of [0, 5, 10, 25, 30])
      monitor.inspect(reading("p", minute, minute), "modbus");
    const quality = monitor.report().modbus!;
    expect(quality.missed).toBe(2);
    expect(quality.completeness).toBeCloseTo(5 / 7);
    expect(quality.series).toBe(1);
  });

  it("flags frozen values only when configured", () => {
    const plain = new QualityMonitor();
    const watched = new QualityMonitor({
      frozen: { min_repeats: 3, min_duration_ms: 120_000 },
    });
    const plainReadings = [0, 1, 2, 3].map((minute) =>
      reading("p", 42, minute),
    );
    const watchedReadings = [0, 1, 2, 3].map((minute) =>
      reading("p", 42, minute),
    );
    for (const r of plainReadings) plain.inspect(r, "a");
    for (const r of watchedReadings) watched.inspect(r, "a");
    expect(plainReadings.map((r) => r.flags)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(watchedReadings.map((r) => r.flags)).toEqual([
      undefined,
      undefined,
      ["frozen_value"],
      ["frozen_value"],
    ]);
  });

  it("flags values out of their range", () => {
    const monitor = new QualityMonitor({
      ranges: [{ metric: "Voltage*", min: 0, max: 300 }],
    });
    const high = reading("Voltage.L1-N", 4000, 0);
    const normal = reading("Voltage.L2-N", 231, 0);
    monitor.inspect(high, "ocpp");
    monitor.inspect(normal, "ocpp");
    expect(high.flags).toEqual(["out_of_range"]);
    expect(normal.flags).toBeUndefined();
    expect(high.value).toBe(4000);
  });

  it("scores reliability and exports gauges", () => {
    const registry = new MetricsRegistry();
    const monitor = new QualityMonitor({}, registry);
    monitor.inspect(reading("p", 1, 0), "mqtt");
    monitor.inspect(reading("p", 2, 1), "mqtt");
    monitor.inspect(reading("p", 3, 2), "mqtt");
    monitor.recordRejected("mqtt");
    expect(monitor.report().mqtt?.reliability).toBe(0.75);
    expect(registry.toPrometheus()).toContain(
      'qubit_source_reliability{connector="mqtt"} 0.75',
    );
  });
});
