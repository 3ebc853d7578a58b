import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelDefinition } from "../src/index.js";
import { type Harness, harness } from "./helpers/harness.js";
import { hasPymodbus, PymodbusPeer } from "./helpers/peer.js";

// A SunSpec inverter laid out from the model definitions: the "SunS"
// marker at 40000, common model 1, three-phase inverter 103, MPPT model
// 160 with two modules, an unknown model 64001, then the end marker.
function model(
  id: number,
  values: Record<string, number | string>,
  length?: number,
): number[] {
  const definition = modelDefinition(id)!;
  const words: number[] = [];
  const rows = [...definition.points];
  if (definition.repeat) {
    const modules = Number(values.N ?? 0);
    for (let i = 1; i <= modules; i += 1) {
      for (const row of definition.repeat.points) {
        rows.push([
          `${definition.repeat.name}.${i}.${row[0]}`,
          ...row.slice(1),
        ] as never);
      }
    }
  }
  for (const [name, type, size] of rows) {
    let value = values[name];
    if (name === "ID") value = id;
    if (name === "L") value = 0;
    if (type === "string") {
      const text = Buffer.alloc(size * 2);
      text.write(String(value ?? ""), "latin1");
      for (let i = 0; i < size; i += 1) words.push(text.readUInt16BE(i * 2));
      continue;
    }
    const number = Number(value ?? 0);
    if (size === 2) words.push((number >>> 16) & 0xffff, number & 0xffff);
    else if (size === 4)
      words.push(0, 0, (number >>> 16) & 0xffff, number & 0xffff);
    else words.push(number & 0xffff);
  }
  words[1] = length ?? words.length - 2;
  return words;
}

function image(): Record<number, number> {
  const words = [
    0x5375,
    0x6e53,
    ...model(1, { Mn: "Qubit Solar", Md: "QS-10K", SN: "A0000000001", DA: 1 }),
    ...model(103, {
      A: 1234,
      A_SF: -2,
      PhVphA: 2301,
      V_SF: -1,
      W: 5000,
      W_SF: 0,
      Hz: 5002,
      Hz_SF: -2,
      WH: 1234567,
      WH_SF: 0,
      St: 4,
      TmpCab: 0x8000,
      Tmp_SF: -1,
    }),
    ...model(160, {
      DCA_SF: -2,
      DCV_SF: -1,
      DCW_SF: 0,
      DCWH_SF: 0,
      N: 2,
      "module.1.DCA": 512,
      "module.1.DCV": 3805,
      "module.1.DCW": 1948,
      "module.2.DCA": 498,
      "module.2.DCV": 3790,
      "module.2.DCW": 1887,
    }),
    64001,
    2,
    7,
    7,
    0xffff,
    0,
  ];
  return Object.fromEntries(words.map((word, index) => [40000 + index, word]));
}

describe.skipIf(!hasPymodbus())("SunSpec discovery", () => {
  let peer: PymodbusPeer;
  let run: Harness;

  beforeAll(async () => {
    peer = await PymodbusPeer.start({ units: { 1: { hr: image() } } });
    run = harness({
      host: "127.0.0.1",
      port: peer.port,
      timeout: 2,
      polling_interval: 3600,
      devices: [{ name: "pv-1", profile: "sunspec-inverter" }],
    });
    await run.connector.poll();
    await run.pipeline.flush();
  });

  afterAll(async () => {
    await run?.close();
    await peer?.stop();
  });

  const value = (metric: string) => run.of(metric)[0]?.value;

  it("reads the common model strings", () => {
    expect(value("common.Mn")).toBe("Qubit Solar");
    expect(value("common.Md")).toBe("QS-10K");
    expect(value("common.SN")).toBe("A0000000001");
  });

  it("applies the inverter scale factors", () => {
    expect(value("inverter_three_phase.A")).toBe(12.34);
    expect(value("inverter_three_phase.PhVphA")).toBe(230.1);
    expect(value("inverter_three_phase.W")).toBe(5000);
    expect(value("inverter_three_phase.Hz")).toBe(50.02);
    expect(value("inverter_three_phase.WH")).toBe(1234567);
    expect(run.of("inverter_three_phase.WH")[0]?.unit).toBe("Wh");
  });

  it("marks not-implemented points as missing", () => {
    const cabinet = run.of("inverter_three_phase.TmpCab")[0]!;
    expect(cabinet.value).toBeNull();
    expect(cabinet.quality).toBe("missing");
  });

  it("reads each MPPT module", () => {
    expect(value("mppt.module.1.DCA")).toBe(5.12);
    expect(value("mppt.module.1.DCV")).toBe(380.5);
    expect(value("mppt.module.2.DCW")).toBe(1887);
  });

  it("emits no scale factor readings", () => {
    expect(run.output.readings.some((r) => r.metric.endsWith("_SF"))).toBe(
      false,
    );
  });

  it("reports the unknown model once", async () => {
    // The chain: marker at 40000, then models 1 (66), 103 (50) and
    // 160 (8 + 2 * 20), each after its 2-register header.
    const address = 40002 + 2 + 66 + 2 + 50 + 2 + 48;
    const unknown = () =>
      run.diagnostics.filter(
        (d) => d.code === "QUBIT_MODBUS_SUNSPEC_MODEL_UNKNOWN",
      );
    expect(unknown()).toHaveLength(1);
    expect(unknown()[0]!.message).toContain("model 64001");
    expect(unknown()[0]!.message).toContain(`holding register ${address}`);
    expect(unknown()[0]!.location).toMatchObject({
      device: "pv-1",
      unit_id: 1,
      register: address,
    });
    expect(value("mppt.module.2.DCW")).toBe(1887);
  });

  it("reads the models in two requests", async () => {
    const requests = await peer.requests();
    const reads = requests.filter((r) => r.count > 2);
    // Models 1, 103 and 160 span 168 registers from 40004: two reads.
    expect(reads).toHaveLength(2);
    expect(reads[0]!.address).toBe(40004);
    expect(reads.every((r) => r.count <= 125)).toBe(true);
    const health = run.connector.health().details.devices as {
      requests_per_poll: number;
    }[];
    expect(health[0]!.requests_per_poll).toBe(reads.length);
  });

  it("does not repeat the unknown model diagnostic", async () => {
    await run.connector.poll();
    await run.pipeline.flush();
    const unknown = run.diagnostics.filter(
      (d) => d.code === "QUBIT_MODBUS_SUNSPEC_MODEL_UNKNOWN",
    );
    expect(unknown).toHaveLength(1);
    expect(run.of("inverter_three_phase.W")).toHaveLength(2);
  });
});
