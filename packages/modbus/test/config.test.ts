import { type ConfigIssue, checkConfig } from "@qubit/core";
import { describe, expect, it } from "vitest";
import {
  checkModbusConfigs,
  compileDevices,
  type ModbusConfig,
  ModbusConfigSchema,
  modbusPlugin,
} from "../src/index.js";

function validate(input: unknown): {
  value: ModbusConfig;
  issues: ConfigIssue[];
} {
  const { value, issues } = checkConfig<ModbusConfig>(
    ModbusConfigSchema,
    input,
  );
  const checked =
    issues.length === 0
      ? checkModbusConfigs([{ name: "modbus", path: "", config: value }])
      : [];
  return { value, issues: [...issues, ...checked] };
}

const errors = (issues: ConfigIssue[]) =>
  issues.filter((i) => i.severity !== "warning");

describe("seed configs", () => {
  it("accepts the RTU dict", () => {
    const { value, issues } = validate({
      protocol: "rtu",
      port: "/dev/ttyUSB0",
      baudrate: 19200,
      parity: "even",
      stopbits: 1,
      bytesize: 8,
      timeout: 1.0,
    });
    expect(errors(issues)).toEqual([]);
    expect(value.parity).toBe("even");
  });

  it("accepts the TCP dict", () => {
    const { value, issues } = validate({
      protocol: "tcp",
      host: "192.168.1.100",
      port: 502,
      timeout: 5.0,
      unit_id: 1,
    });
    expect(errors(issues)).toEqual([]);
    expect(value.timeout).toBe(5);
  });

  it("warns that a config without registers reads nothing", () => {
    const configs = [
      { protocol: "rtu", port: "/dev/ttyUSB0", baudrate: 19200 },
      { protocol: "tcp", host: "192.168.1.100", port: 502, unit_id: 1 },
    ];
    for (const config of configs) {
      const { issues } = validate(config);
      expect(errors(issues)).toEqual([]);
      expect(issues).toHaveLength(1);
      const warning = issues[0]!;
      expect(warning.severity).toBe("warning");
      expect(warning.path).toBe("");
      expect(warning.message).toContain("QUBIT_MODBUS_NO_POINTS");
      expect(warning.message).toContain("reads nothing");
      expect(warning.fix).toContain("registers");
      expect(warning.fix).toContain("profile");
    }
  });

  it("warns about a listed device without points", () => {
    const { issues } = validate({
      host: "h",
      devices: [{ name: "meter-1" }],
    });
    expect(errors(issues)).toEqual([]);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe("/devices/0/registers");
    expect(issues[0]!.message).toContain('device "meter-1"');
    expect(issues[0]!.message).toContain("QUBIT_MODBUS_NO_POINTS");
  });

  it("accepts the register map with TCP as default", () => {
    const seed = {
      host: "192.168.1.100",
      port: 502,
      registers: {
        active_power: {
          address: 40001,
          type: "float32",
          scale: 1000,
          unit: "kW",
        },
        energy_total: {
          address: 40003,
          type: "uint32",
          scale: 100,
          unit: "kWh",
        },
      },
      polling_interval: 5,
    };
    const { value, issues } = validate(seed);
    expect(issues).toEqual([]);
    expect(value.protocol).toBe("tcp");
    const { devices } = compileDevices(value, "modbus");
    expect(devices).toHaveLength(1);
    expect(devices[0]!.intervalMs).toBe(5000);
    const [power, energy] = devices[0]!.points;
    expect(power).toMatchObject({
      table: "holding_register",
      address: 0,
      count: 2,
      scale: 1000,
    });
    expect(energy).toMatchObject({
      table: "holding_register",
      address: 2,
      count: 2,
      scale: 100,
    });
  });

  it("keeps the plugin schema equal to the exported one", () => {
    expect(modbusPlugin.configSchema).toBe(ModbusConfigSchema);
    expect(modbusPlugin.protocol).toBe("modbus");
  });
});

describe("config checks", () => {
  it("warns when scale looks like a multiplier", () => {
    const { issues } = validate({
      host: "h",
      registers: { v: { address: 40001, scale: 0.1, unit: "V" } },
    });
    expect(errors(issues)).toEqual([]);
    expect(issues[0]!.path).toBe("/registers/v/scale");
    expect(issues[0]!.message).toContain(
      "QUBIT_MODBUS_SCALE_LOOKS_LIKE_MULTIPLIER",
    );
    expect(issues[0]!.fix).toContain("multiplier: 0.1");
  });

  it("warns about a unit the unit table lacks", () => {
    const { issues } = validate({
      host: "h",
      devices: [
        {
          name: "meter-7",
          registers: {
            power: { address: 40001, unit: "kW" },
            flux: { address: 40002, unit: "furlongs" },
          },
        },
      ],
    });
    expect(errors(issues)).toEqual([]);
    expect(issues).toHaveLength(1);
    const warning = issues[0]!;
    expect(warning.severity).toBe("warning");
    expect(warning.path).toBe("/devices/0/registers/flux/unit");
    expect(warning.value).toBe("furlongs");
    expect(warning.message).toContain("QUBIT_MODBUS_UNIT_UNKNOWN");
    expect(warning.message).toContain('device "meter-7"');
    expect(warning.message).toContain('register "flux"');
    expect(warning.message).toContain('unit "furlongs"');
    expect(warning.fix).toContain("unit table");
  });

  it("accepts units in any known spelling", () => {
    const { issues } = validate({
      host: "h",
      registers: {
        a: { address: 40001, unit: "KW" },
        b: { address: 40002, unit: "°C" },
        c: { address: 40003, unit: "%" },
      },
    });
    expect(issues).toEqual([]);
  });

  it("rejects scale and multiplier together", () => {
    const { issues } = validate({
      host: "h",
      registers: { v: { address: 40001, scale: 10, multiplier: 0.1 } },
    });
    expect(errors(issues)[0]!.path).toBe("/registers/v/multiplier");
  });

  it("rejects a register type on a coil", () => {
    const { issues } = validate({
      host: "h",
      registers: { v: { address: 100, type: "uint16" } },
    });
    expect(errors(issues)[0]!.message).toContain("coil values are single bits");
  });

  it("rejects a pdu address without a table", () => {
    const { issues } = validate({
      host: "h",
      registers: { v: { address: 7, addressing: "pdu" } },
    });
    expect(errors(issues)[0]!.message).toContain("needs its table");
  });

  it("rejects an unknown profile", () => {
    const { issues } = validate({
      host: "h",
      devices: [{ name: "m", profile: "nope" }],
    });
    expect(errors(issues)[0]!.path).toBe("/devices/0/profile");
    expect(errors(issues)[0]!.fix).toContain("eastron-sdm630");
  });

  it("rejects a tcp connection without host", () => {
    const { issues } = validate({ registers: { v: { address: 40001 } } });
    expect(errors(issues)[0]!.path).toBe("/host");
  });

  it("rejects a numeric port for rtu", () => {
    const { issues } = validate({ protocol: "rtu", port: 502 });
    expect(errors(issues)[0]!.path).toBe("/port");
  });

  it("rejects two connectors on one serial port", () => {
    const config = { protocol: "rtu", port: "/dev/ttyUSB0" } as ModbusConfig;
    const issues = checkModbusConfigs([
      { name: "a", path: "/modbus/0", config },
      { name: "b", path: "/modbus/1", config },
    ]);
    expect(errors(issues)[0]!.path).toBe("/modbus/1/port");
  });

  it("rejects a duplicate device name", () => {
    const { issues } = validate({
      host: "h",
      devices: [
        { name: "m", registers: { v: { address: 40001 } } },
        { name: "m", unit_id: 2, registers: { v: { address: 40001 } } },
      ],
    });
    expect(errors(issues)[0]!.path).toBe("/devices/1/name");
  });

  it("rejects an unknown scale_factor point", () => {
    const { issues } = validate({
      host: "h",
      registers: { w: { address: 40001, type: "int16", scale_factor: "w_sf" } },
    });
    expect(errors(issues)[0]!.message).toContain("scale_factor");
  });
});
