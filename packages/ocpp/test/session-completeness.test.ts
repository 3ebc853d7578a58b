import {
  MemoryOutput,
  MemoryStateStore,
  Pipeline,
  QualityMonitor,
} from "@qubit/core";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChargePointClient } from "../src/client/charge-point-client.js";
import { ChargingSimulator } from "../src/client/simulator.js";
import {
  type CentralSystemConfig,
  CentralSystemConfigSchema,
} from "../src/config.js";
import { CentralSystemConnector } from "../src/csms/central-system.js";
import type { OcppVersion } from "../src/versions.js";

// Completeness of simulated sessions as the quality monitor of a real
// pipeline counts it: the pause between two sessions and the start and
// stop registers are no missed readings.

let csms: CentralSystemConnector;
let pipeline: Pipeline;
let quality: QualityMonitor;
let output: MemoryOutput;
let url: string;

beforeAll(async () => {
  const config = Value.Default(CentralSystemConfigSchema, {
    role: "central_system",
    host: "127.0.0.1",
    port: 0,
  }) as CentralSystemConfig;
  quality = new QualityMonitor();
  output = new MemoryOutput();
  pipeline = new Pipeline({
    outputs: [output],
    batchIntervalMs: 5,
    dedupWindow: 0,
    quality,
  });
  await pipeline.open();
  csms = new CentralSystemConnector(config, {
    state: new MemoryStateStore(),
  });
  csms.attach(pipeline);
  await csms.connect();
  url = `ws://127.0.0.1:${csms.port}${config.path}`;
});

afterAll(async () => {
  await csms.disconnect();
  await pipeline.close();
});

async function simulate(identity: string, version: OcppVersion) {
  const client = new ChargePointClient({ version, url, identity });
  client.start();
  const simulator = new ChargingSimulator(client, {
    sessions: 2,
    sessionDurationS: 2.5,
    meterIntervalS: 1,
    powerW: 7_400,
    idTag: "TAG-COMPLETE",
    pauseS: 3,
  });
  await simulator.run(new AbortController().signal);
  await client.close();
}

describe("session completeness", () => {
  it("counts no missed readings for two sessions", async () => {
    await Promise.all([
      simulate("CP-COMPLETE-16", "1.6"),
      simulate("CP-COMPLETE-201", "2.0.1"),
    ]);
    await pipeline.flush();
    const report = quality.report();
    const source = report[csms.name];
    expect(source).toBeDefined();
    expect(source?.valid).toBe(output.readings.length);
    expect(source?.missed).toBe(0);
    expect(source?.completeness).toBe(1);
    const sessions = output.readings.filter(
      (reading) => reading.metric === "Session.Energy.Active.Import",
    );
    expect(sessions).toHaveLength(4);
    for (const session of sessions) {
      expect(session.metadata?.sampling).toBe("event");
      expect(session.metadata?.series_end).toBe(true);
    }
  }, 30_000);
});
