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
  it("counts error readings against reliability", () => {
    const registry = new MetricsRegistry();
    const monitor = new QualityMonitor({}, registry);
    monitor.inspect(reading("p", 1, 0), "modbus");
    for (const minute of [1, 2, 3]) {
      const failed = createReading({
        asset_id: "inv-1",
        metric: "p",
        value: null,
        unit: "W",
        quality: "error",
        flags: ["communication_error"],
        timestamp: Date.UTC(2025, 0, 15, 10, minute),
        source: { protocol: "modbus", address: "inv-1" },
      });
      monitor.inspect(failed, "modbus");
    }
    const quality = monitor.report().modbus!;
    expect(quality.valid).toBe(1);
    expect(quality.errors).toBe(3);
    expect(quality.reliability).toBeCloseTo(0.25);
    expect(registry.toPrometheus()).toMatch(
      /qubit_readings_error\{connector="modbus"\} 3/,
    );
  });

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

  it("ignores the pause after a series end", () => {
    const monitor = new QualityMonitor();
    // Two sessions with a reading every minute and a 30-minute pause.
    const minutes = [0, 1, 2, 3, 33, 34, 35];
    for (const minute of minutes) {
      const r = reading("p", minute, minute);
      if (minute === 3) r.metadata = { series_end: true };
      monitor.inspect(r, "ocpp");
    }
    const quality = monitor.report().ocpp!;
    expect(quality.missed).toBe(0);
    expect(quality.completeness).toBe(1);
  });

  it("ends the runs of every metric of the asset", () => {
    const monitor = new QualityMonitor();
    for (const minute of [0, 1, 2, 40, 41])
      monitor.inspect(reading("power", minute, minute), "ocpp");
    const end = reading("session", 5, 2);
    end.metadata = { series_end: true, sampling: "event" };
    const withEnd = new QualityMonitor();
    for (const minute of [0, 1, 2]) {
      withEnd.inspect(reading("power", minute, minute), "ocpp");
    }
    withEnd.inspect(end, "ocpp");
    for (const minute of [40, 41]) {
      withEnd.inspect(reading("power", minute, minute), "ocpp");
    }
    expect(monitor.report().ocpp?.missed).toBe(37);
    expect(withEnd.report().ocpp?.missed).toBe(0);
    expect(withEnd.report().ocpp?.series).toBe(2);
  });

  it("keeps the interval across a series end", () => {
    const monitor = new QualityMonitor();
    for (const minute of [0, 1, 2]) {
      const r = reading("p", minute, minute);
      if (minute === 2) r.metadata = { series_end: true };
      monitor.inspect(r, "ocpp");
    }
    // The second run loses the readings of minutes 11 to 13.
    for (const minute of [10, 14, 15])
      monitor.inspect(reading("p", minute, minute), "ocpp");
    expect(monitor.report().ocpp?.missed).toBe(3);
  });

  it("counts no gap around event readings", () => {
    const monitor = new QualityMonitor();
    // A start event 10 s before the first periodic reading must not
    // shrink the learned interval to 10 s.
    const start = createReading({
      asset_id: "inv-1",
      metric: "p",
      value: 0,
      unit: "W",
      timestamp: Date.UTC(2025, 0, 15, 9, 59, 50),
      source: { protocol: "ocpp", address: "inv-1" },
      metadata: { sampling: "event" },
    });
    monitor.inspect(start, "ocpp");
    for (const minute of [0, 1, 2, 3, 4, 5])
      monitor.inspect(reading("p", minute, minute), "ocpp");
    const quality = monitor.report().ocpp!;
    expect(quality.missed).toBe(0);
    expect(quality.completeness).toBe(1);
    expect(quality.valid).toBe(7);
  });
});
