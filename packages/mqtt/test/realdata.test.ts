import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeReadingUnit, type TimeSeries } from "@qubit/core";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqttConnector } from "../src/index.js";
import {
  type MosquittoInstance,
  startMosquitto,
  waitFor,
} from "./helpers/brokers.js";
import {
  attachPipeline,
  closeTo,
  converterFor,
  convertOne,
} from "./helpers/pipeline.js";

const here = dirname(fileURLToPath(import.meta.url));
// The shared real inputs sit beside the repository; CI lays them out the
// same way. Files without a license are read from there, never copied.
const realdata = resolve(here, "../../../../shared/realdata/mqtt");
const fixtures = join(here, "fixtures/shelly");
const PRESETS = [
  "shelly",
  "tasmota",
  "victron",
  "zigbee2mqtt",
  "opendtu",
  "solar_assistant",
  "esphome",
  "deye",
] as const;

type Row = [
  asset: string,
  metric: string,
  value: number | boolean | string,
  unit: string,
];

/**
 * Expected readings of the 62 real topic/payload pairs, in file order,
 * after conversion to base units. Victron energy counters come in kWh,
 * the Tasmota counters too; Shelly Gen1 totals are Wh.
 */
const EXPECTED: Row[] = [
  ["shellypro3em-aabbccddeeff", "em:0.a_act_power", 2403.7, "W"],
  ["shellypro3em-aabbccddeeff", "em:0.a_aprt_power", 2503.5, "VA"],
  ["shellypro3em-aabbccddeeff", "em:0.a_current", 10.739, "A"],
  ["shellypro3em-aabbccddeeff", "em:0.a_pf", 0.96, ""],
  ["shellypro3em-aabbccddeeff", "em:0.a_voltage", 233.3, "V"],
  ["shellypro3em-aabbccddeeff", "em:0.b_act_power", 409.1, "W"],
  ["shellypro3em-aabbccddeeff", "em:0.b_aprt_power", 443.1, "VA"],
  ["shellypro3em-aabbccddeeff", "em:0.b_current", 1.872, "A"],
  ["shellypro3em-aabbccddeeff", "em:0.b_pf", -0.93, ""],
  ["shellypro3em-aabbccddeeff", "em:0.b_voltage", 236.7, "V"],
  ["shellypro3em-aabbccddeeff", "em:0.c_act_power", 235.3, "W"],
  ["shellypro3em-aabbccddeeff", "em:0.c_aprt_power", 270.4, "VA"],
  ["shellypro3em-aabbccddeeff", "em:0.c_current", 1.143, "A"],
  ["shellypro3em-aabbccddeeff", "em:0.c_pf", -0.87, ""],
  ["shellypro3em-aabbccddeeff", "em:0.c_voltage", 236.9, "V"],
  ["shellypro3em-aabbccddeeff", "em:0.total_act_power", 3048.104, "W"],
  ["shellypro3em-aabbccddeeff", "em:0.total_aprt_power", 3217.036, "VA"],
  ["shellypro3em-aabbccddeeff", "em:0.total_current", 13.753, "A"],
  ["shellyem3-AABBCCDDEEFF", "relay.0", false, ""],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.power", 120.11, "W"],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.pf", 0.71, ""],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.current", 0.71, "A"],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.voltage", 239.03, "V"],
  ["shellyem3-AABBCCDDEEFF", "emeter.1.power", 116.23, "W"],
  ["shellyem3-AABBCCDDEEFF", "emeter.1.pf", 0.71, ""],
  ["shellyem3-AABBCCDDEEFF", "emeter.1.current", 0.69, "A"],
  ["shellyem3-AABBCCDDEEFF", "emeter.1.voltage", 237.51, "V"],
  ["shellyem3-AABBCCDDEEFF", "emeter.2.power", 76.46, "W"],
  ["shellyem3-AABBCCDDEEFF", "emeter.2.pf", 0.54, ""],
  ["shellyem3-AABBCCDDEEFF", "emeter.2.current", 0.59, "A"],
  ["shellyem3-AABBCCDDEEFF", "emeter.2.voltage", 240.5, "V"],
  ["shellyem-DDEEFF", "emeter.1.total_returned", 0, "Wh"],
  ["shellyem-DDEEFF", "emeter.0.voltage", 224.3, "V"],
  ["shellyem-DDEEFF", "emeter.0.total", 64541, "Wh"],
  ["shellyem-DDEEFF", "emeter.0.total_returned", 0, "Wh"],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.total_returned", 427.7, "Wh"],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.total", 10533.1, "Wh"],
  ["shellyem3-AABBCCDDEEFF", "emeter.0.voltage", 231.84, "V"],
  ["shellyem-123456789012", "emeter.0.power", 611.53, "W"],
  ["shellyem-123456789012", "emeter.0.reactive_power", 382.27, "var"],
  ["shellyem-123456789012", "emeter.0.voltage", 238.85, "V"],
  ["shellyem-123456789012", "emeter.0.total", 1891.9, "Wh"],
  ["shellyem-123456789012", "emeter.0.total_returned", 0, "Wh"],
  ["shellyem-123456789012", "emeter.1.power", 0, "W"],
  ["shellyem-123456789012", "emeter.1.reactive_power", 0, "var"],
  ["Stopcontact", "current", 0, "A"],
  ["Stopcontact", "energy", 1540, "Wh"],
  ["Stopcontact", "linkquality", 63, ""],
  ["Stopcontact", "power", 0, "W"],
  ["Stopcontact", "state", true, ""],
  ["Stopcontact", "voltage", 239, "V"],
  ["Stopcontact", "current", 0.07, "A"],
  ["Stopcontact", "energy", 1540, "Wh"],
  ["Stopcontact", "linkquality", 63, ""],
  ["Stopcontact", "power", 0, "W"],
  ["Stopcontact", "state", true, ""],
  ["Stopcontact", "voltage", 239, "V"],
  ["inverter/0", "Pv/V", 182.11000061035156, "V"],
  ["inverter/0", "Yield/Power", 1101.780029296875, "W"],
  ["inverter/0", "Yield/User", 43409.99984741211, "Wh"],
  ["inverter/0", "Yield/System", 98080.00183105469, "Wh"],
  ["vebus/276", "Dc/0/Current", -6.900000095367432, "A"],
  ["vebus/276", "Dc/0/Power", -127, "W"],
  ["vebus/276", "Settings/Alarm/System/GridLost", 0, ""],
  ["system/0", "Dc/Battery/Soc", 84.5, "percent"],
  ["battery_1", "capacity", 100, "Ah"],
  ["battery_1", "model_name", "SD-BA430A-16S-V1C", ""],
  ["battery_1", "cell_voltage_-_average", 3.268, "V"],
  ["battery_1", "cell_voltage_-_highest", 3.27, "V"],
  ["battery_1", "cell_voltage_-_lowest", 3.266, "V"],
  ["battery_1", "current", -3.5, "A"],
  ["battery_1", "cycles", 103, ""],
  ["battery_1", "power", -183, "W"],
  ["battery_1", "state_of_charge", 47.9, "percent"],
  ["battery_1", "state_of_health", 100, "percent"],
  ["battery_1", "temperature", 22.3, "celsius"],
  ["battery_1", "voltage", 52.3, "V"],
  ["sonoff", "ENERGY.Total", 3185, "Wh"],
  ["sonoff", "ENERGY.Yesterday", 3058, "Wh"],
  ["sonoff", "ENERGY.Today", 127, "Wh"],
  ["sonoff", "ENERGY.Power", 0, "W"],
  ["sonoff", "ENERGY.Factor", 0, ""],
  ["sonoff", "ENERGY.Voltage", 221, "V"],
  ["sonoff", "ENERGY.Current", 0, "A"],
  ["deye", "dc.pv4.day_energy", 0, "Wh"],
  ["deye", "dc.pv4.total_energy", 0, "Wh"],
  ["deye", "dc.total_power", 0, "W"],
  ["deye", "operating_power", 0, "W"],
  ["attic-powerwall", "firstfloor_inverter_operation_mode", "Normal", ""],
  ["attic-powerwall", "firstfloor_inverter_limiter_operation_mode", "Auto", ""],
  ["attic-powerwall", "inverter0_power_demand", 190, ""],
  ["attic-powerwall", "firstfloor_inverter_power_demand", 0, ""],
  ["attic-powerwall", "firstfloor_inverter_energy_yesterday", 0.105, ""],
  ["attic-powerwall", "attic-powerwall_restart", false, ""],
  ["enphase-battery", "Dc.Power", 1435.7, "W"],
  ["enphase-battery", "Dc.Voltage", 53.77, "V"],
  ["enphase-battery", "Dc.Current", 26.7, "A"],
  ["enphase-battery", "Dc.Temperature", 25.6, "celsius"],
  ["enphase-battery", "InstalledCapacity", 1400, "Ah"],
  ["enphase-battery", "ConsumedAmphours", -116.9, "Ah"],
  ["enphase-battery", "Capacity", 1283.1, "Ah"],
  ["enphase-battery", "Soc", 95.9, "percent"],
  ["enphase-battery", "TimeToGo", 0, "s"],
  ["enphase-battery", "Balancing", 0, ""],
  ["enphase-battery", "Info.MaxChargeVoltage", 55.3, "V"],
  ["enphase-battery", "Info.MaxChargeCurrent", 191.25, "A"],
  ["enphase-battery", "Info.MaxDischargeCurrent", 425, "A"],
  ["enphase-battery", "History.ChargeCycles", 46, ""],
  ["enphase-battery", "History.MinimumVoltage", 34.43, "V"],
  ["enphase-battery", "History.MaximumVoltage", 58.77, "V"],
  ["enphase-battery", "History.TotalAhDrawn", -60169.2, "Ah"],
  ["enphase-battery", "System.MinVoltageCellId", "P4_Z1", ""],
  ["enphase-battery", "System.MinCellVoltage", 3.358, "V"],
  ["enphase-battery", "System.MaxVoltageCellId", "P1_Z10", ""],
  ["enphase-battery", "System.MaxCellVoltage", 3.362, "V"],
  ["enphase-battery", "System.NrOfModulesOnline", 5, ""],
  ["enphase-battery", "System.NrOfModulesOffline", 0, ""],
  ["enphase-battery", "System.NrOfModulesBlockingCharge", 0, ""],
  ["enphase-battery", "System.NrOfModulesBlockingDischarge", 0, ""],
  ["enphase-battery", "Io.AllowToCharge", 1, ""],
  ["enphase-battery", "Io.AllowToDischarge", 1, ""],
  ["enphase-battery", "Io.AllowToBalance", 1, ""],
];

/** The rule for the BMS payload that Node-RED republishes for Venus OS. */
const ENPHASE_RULE = {
  filter: "enphase/battery",
  asset_id: "enphase-battery",
  fields: {
    Power: { unit: "W" },
    Voltage: { unit: "V" },
    MaxChargeVoltage: { unit: "V" },
    MinimumVoltage: { unit: "V" },
    MaximumVoltage: { unit: "V" },
    MinCellVoltage: { unit: "V" },
    MaxCellVoltage: { unit: "V" },
    Current: { unit: "A" },
    MaxChargeCurrent: { unit: "A" },
    MaxDischargeCurrent: { unit: "A" },
    Temperature: { unit: "°C" },
    InstalledCapacity: { unit: "Ah" },
    ConsumedAmphours: { unit: "Ah" },
    Capacity: { unit: "Ah" },
    TotalAhDrawn: { unit: "Ah" },
    Soc: { unit: "%" },
    TimeToGo: { unit: "s" },
  },
};

interface RealRecord {
  topic: string;
  payload: string;
}

/**
 * Turns a record's topic into one that can be published: the Pro 3EM
 * prefix is a placeholder, a few topics carry a note in brackets, and
 * the Victron ones were posted with + wildcards for the portal id and
 * device instance, which a PUBLISH may not contain.
 */
function publishable(topic: string): string {
  let wildcard = 0;
  return topic
    .replace(/ \(.*$/, "")
    .replace("<prefix>", "shellypro3em-aabbccddeeff")
    .replace(/\+/g, () => (wildcard++ === 0 ? "aabbccddeeff" : "276"));
}

function readRecords(): RealRecord[] {
  return readFileSync(join(realdata, "mqtt-real-topic-payloads.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as RealRecord)
    .map((record) => ({
      topic: publishable(record.topic),
      payload: record.payload,
    }));
}

function rows(readings: readonly TimeSeries[]): Row[] {
  return readings.map((reading) => [
    reading.asset_id,
    reading.metric,
    reading.value as Row[2],
    reading.unit,
  ]);
}

function expectRows(actual: Row[], expected: Row[]): void {
  expect(actual.map((row) => `${row[0]} ${row[1]} ${row[3]}`)).toEqual(
    expected.map((row) => `${row[0]} ${row[1]} ${row[3]}`),
  );
  actual.forEach((row, index) => {
    const wanted = expected[index]![2];
    if (typeof wanted === "number") {
      expect(closeTo(row[2], wanted), `${row[1]}: ${row[2]} vs ${wanted}`).toBe(
        true,
      );
    } else expect(row[2]).toBe(wanted);
  });
}

const haveRealdata = existsSync(
  join(realdata, "mqtt-real-topic-payloads.jsonl"),
);

describe.skipIf(!haveRealdata)("real device payloads through Mosquitto", () => {
  let broker: MosquittoInstance;
  let publisher: MqttClient;
  let connector: MqttConnector;

  beforeAll(async () => {
    broker = await startMosquitto();
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
  });

  afterAll(async () => {
    await connector?.disconnect();
    await publisher?.endAsync();
    await broker?.dispose();
  });

  it("turns all 62 records into the right readings", async () => {
    const records = readRecords();
    expect(records).toHaveLength(62);
    let clock = Date.parse("2025-01-15T10:00:00.000Z");
    connector = new MqttConnector(
      {
        broker: `mqtt://127.0.0.1:${broker.port}`,
        topics: ["#"],
        qos: 1,
        presets: [...PRESETS],
        rules: [ENPHASE_RULE],
      },
      // One second per clock read, so every message has its own receive time.
      { now: () => (clock += 1000) },
    );
    const { output, deadLetters } = attachPipeline(connector);
    await connector.connect();
    for (const record of records)
      await publisher.publishAsync(record.topic, record.payload, { qos: 1 });
    await waitFor(
      () => output.readings.length >= EXPECTED.length,
      20_000,
      "readings",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deadLetters.letters).toEqual([]);
    expectRows(rows(output.readings), EXPECTED);
    const tasmota = output.readings.find(
      (reading) => reading.asset_id === "sonoff",
    )!;
    expect(tasmota.timestamp).toBe("2018-02-04T23:17:01.000Z");
    expect(
      output.readings.every((reading) => reading.quality === "measured"),
    ).toBe(true);
  });
});

describe("Shelly device dumps", () => {
  const converter = converterFor({ presets: ["shelly"] });
  const gen2 = [
    ["shelly-gen2-plus-1pm-device-dump.json", "shellyplus1pm-aabbccddeeff"],
    [
      "shelly-gen2-plus-plug-s-device-dump.json",
      "shellyplusplugs-aabbccddeeff",
    ],
    [
      "shelly-gen2-pro-3em-device-dump-fw1.1.0.json",
      "shellypro3em-aabbccddeeff",
    ],
    ["shelly-gen2-pro-4pm-device-dump.json", "shellypro4pm-aabbccddeeff"],
  ] as const;

  for (const [file, prefix] of gen2) {
    it(`maps every measurement of ${file}`, () => {
      const dump = JSON.parse(readFileSync(join(fixtures, file), "utf8")) as {
        status: Record<string, Record<string, unknown>>;
      };
      for (const [component, status] of Object.entries(dump.status)) {
        const { readings, rejects, skipped } = convertOne(
          converter,
          `${prefix}/status/${component}`,
          JSON.stringify(status),
        );
        expect(rejects).toEqual([]);
        if (
          !/^(switch|em|emdata|em1|em1data|pm1|temperature|input):\d+$/.test(
            component,
          )
        ) {
          expect(skipped || readings.length > 0).toBe(true);
          continue;
        }
        for (const reading of readings) {
          expect(reading.asset_id).toBe(prefix);
          expect(reading.metric.startsWith(`${component}.`)).toBe(true);
          const path = reading.metric.slice(component.length + 1).split(".");
          let raw: unknown = status;
          for (const step of path) raw = (raw as Record<string, unknown>)[step];
          // Units that are already base units: the value is unchanged.
          expect(reading.value).toBe(raw);
        }
        const names = readings.map((reading) => reading.metric);
        expect(
          names.some(
            (name) =>
              name.includes("by_minute") ||
              name.endsWith(".id") ||
              name.endsWith(".tF"),
          ),
        ).toBe(false);
      }
    });
  }

  it("reads the Pro 3EM energy counters and phases", () => {
    const dump = JSON.parse(
      readFileSync(
        join(fixtures, "shelly-gen2-pro-3em-device-dump-fw1.1.0.json"),
        "utf8",
      ),
    ) as { status: Record<string, unknown> };
    const em = convertOne(
      converter,
      "pro3em/status/em:0",
      JSON.stringify(dump.status["em:0"]),
    );
    const data = convertOne(
      converter,
      "pro3em/status/emdata:0",
      JSON.stringify(dump.status["emdata:0"]),
    );
    const find = (readings: TimeSeries[], name: string) =>
      readings.find((reading) => reading.metric === name);
    expect(find(em.readings, "em:0.a_act_power")).toMatchObject({
      value: 375.5,
      unit: "W",
    });
    expect(find(em.readings, "em:0.c_pf")).toMatchObject({
      value: 0.53,
      unit: "",
    });
    expect(find(em.readings, "em:0.a_freq")).toMatchObject({
      value: 50,
      unit: "Hz",
    });
    expect(find(em.readings, "em:0.n_current")).toBeUndefined();
    expect(find(data.readings, "emdata:0.total_act")).toMatchObject({
      value: 2589773.39,
      unit: "Wh",
    });
    expect(
      find(data.readings, "emdata:0.c_total_act_ret_energy"),
    ).toMatchObject({ value: 985.91, unit: "Wh" });
  });

  it("reads Gen1 plain topics from the Plug S dump", () => {
    const dump = JSON.parse(
      readFileSync(
        join(fixtures, "shelly-gen1-plug-s-device-dump.json"),
        "utf8",
      ),
    ) as {
      status: {
        meters: { power: number; total: number }[];
        relays: { ison: boolean }[];
        temperature: number;
      };
    };
    const base = "shellies/shellyplug-s-AABBCCDDEEFF";
    const meter = dump.status.meters[0]!;
    const power = convertOne(
      converter,
      `${base}/relay/0/power`,
      meter.power.toFixed(2),
    );
    const energy = convertOne(
      converter,
      `${base}/relay/0/energy`,
      String(meter.total),
    );
    const relay = convertOne(
      converter,
      `${base}/relay/0`,
      dump.status.relays[0]!.ison ? "on" : "off",
    );
    const temperature = convertOne(
      converter,
      `${base}/temperature`,
      String(dump.status.temperature),
    );
    expect(power.readings[0]).toMatchObject({
      metric: "relay.0.power",
      value: 0,
      unit: "W",
    });
    // Gen1 energy counters are watt-minutes: 2632 Wmin is 43.87 Wh.
    expect(energy.readings[0]).toMatchObject({
      metric: "relay.0.energy",
      unit: "Wh",
    });
    expect(closeTo(energy.readings[0]!.value, 2632 / 60)).toBe(true);
    expect(relay.readings[0]).toMatchObject({
      metric: "relay.0",
      value: false,
    });
    expect(temperature.readings[0]).toMatchObject({
      metric: "temperature",
      value: dump.status.temperature,
      unit: "celsius",
    });
    const announce = convertOne(converter, `${base}/announce`, '{"id":"x"}');
    expect(announce.skipped).toBe(true);
  });

  it("reads Gen2 NotifyStatus events with their own time", () => {
    const { readings } = convertOne(
      converter,
      "shellyplusplugs-aabbccddeeff/events/rpc",
      '{"src":"shellyplusplugs-aabbccddeeff","dst":"x/events","method":"NotifyStatus","params":{"ts":1736935200.5,"switch:0":{"id":0,"apower":12.5,"aenergy":{"total":7260.1,"by_minute":[1,2,3],"minute_ts":1736935140}}}}',
    );
    expect(
      readings.map((reading) => [reading.metric, reading.value, reading.unit]),
    ).toEqual([
      ["switch:0.apower", 12.5, "W"],
      ["switch:0.aenergy.total", 7260.1, "Wh"],
    ]);
    expect(readings[0]!.timestamp).toBe("2025-01-15T10:00:00.500Z");
  });
});

const catalogue = join(realdata, "opendtu-mqtt-topics.json");

describe.skipIf(!existsSync(catalogue))("OpenDTU topic catalogue", () => {
  // What each catalogue unit column means in base units: [unit, factor].
  const MEANING: Record<string, [string, number]> = {
    "Ampere (A)": ["A", 1],
    "%": ["percent", 1],
    "Hertz (Hz)": ["Hz", 1],
    "Watt (W)": ["W", 1],
    VAr: ["var", 1],
    "Degree Celsius (°C)": ["celsius", 1],
    "Volt (V)": ["V", 1],
    "Watt hours (Wh)": ["Wh", 1],
    "Kilo watt hours (kWh)": ["Wh", 1000],
    seconds: ["s", 1],
    "seconds since JAN 01 1970 (UTC)": ["s", 1],
    "% of total possible output": ["percent", 1],
    "db value": ["dBm", 1],
  };

  it("gives every readable topic the documented unit", () => {
    const document = JSON.parse(readFileSync(catalogue, "utf8")) as {
      topics: { topic: string; rw: string; unit: string }[];
    };
    const converter = converterFor({ presets: ["opendtu"] });
    let checked = 0;
    for (const entry of document.topics) {
      const topic = `solar/${entry.topic.replace("[serial]", "114172220001").replace("[1-4]", "2")}`;
      const { readings, rejects, skipped } = convertOne(
        converter,
        topic,
        "12.5",
      );
      expect(rejects, topic).toEqual([]);
      if (entry.rw !== "R") {
        expect(skipped, `${topic} is a command topic`).toBe(true);
        continue;
      }
      expect(readings, topic).toHaveLength(1);
      const meaning = MEANING[entry.unit];
      if (!meaning) {
        expect(readings[0]!.unit, `${topic} (${entry.unit})`).toBe("");
        continue;
      }
      const [unit, factor] = meaning;
      const reading = normalizeReadingUnit(readings[0]!, "base");
      expect(reading.unit, topic).toBe(unit);
      expect(closeTo(reading.value, 12.5 * factor), topic).toBe(true);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("names the inverter and channel", () => {
    const converter = converterFor({ presets: ["opendtu"] });
    const ac = convertOne(
      converter,
      "solar/114172220001/0/yieldtotal",
      "1234.567",
    );
    expect(ac.readings[0]).toMatchObject({
      asset_id: "114172220001",
      metric: "ch0.yieldtotal",
      value: 1234567,
      unit: "Wh",
    });
    const dc = convertOne(converter, "solar/114172220001/2/power", "88.1");
    expect(dc.readings[0]).toMatchObject({
      metric: "ch2.power",
      value: 88.1,
      unit: "W",
    });
    const dtu = convertOne(converter, "solar/dtu/status", "online");
    expect(dtu.readings[0]).toMatchObject({
      asset_id: "dtu",
      metric: "status",
      value: "online",
    });
  });
});
