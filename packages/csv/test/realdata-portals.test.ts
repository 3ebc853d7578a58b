import { describe, expect, it } from "vitest";
import { expectUniqueIds, importFile, reading, realdata } from "./helpers.js";

// Real exports of monitoring portals, inverters and cloud APIs. Each
// expected value was read from the named line or record of the file and
// converted by hand (kWh * 1000 = Wh; local time to UTC).

describe("real exports: portals, inverters and APIs", () => {
  it("Enphase hourly: US dates in European time, both DST changes", async () => {
    const result = await importFile({
      file_path: realdata("enphase-enlighten-custom-report-hourly.csv"),
      timestamp_format: "%m/%d/%Y %H:%M",
      timezone: "Europe/Amsterdam",
      mapping: {
        timestamp: "Date/Time",
        asset_id: { const: "9999998" },
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(16296 * 4);
    expectUniqueIds(result.readings);
    expect(new Set(result.readings.map((item) => item.metric))).toEqual(
      new Set([
        "energy_produced",
        "energy_consumed",
        "exported_to_grid",
        "imported_from_grid",
      ]),
    );

    // lines 3964-3965: 03/26/2023 01:00 (CET) then 03:00 (CEST)
    expect(
      reading(result.readings, "energy_consumed", "2023-03-26T00:00:00.000Z")
        .value,
    ).toBe(533);
    expect(
      reading(result.readings, "energy_consumed", "2023-03-26T01:00:00.000Z")
        .value,
    ).toBe(346);

    // lines 9171-9174: 01:00, 02:00 (448), 02:00 again (447), 03:00
    expect(
      reading(result.readings, "energy_consumed", "2023-10-28T23:00:00.000Z")
        .value,
    ).toBe(444);
    expect(
      reading(result.readings, "energy_consumed", "2023-10-29T00:00:00.000Z")
        .value,
    ).toBe(448);
    expect(
      reading(result.readings, "energy_consumed", "2023-10-29T01:00:00.000Z")
        .value,
    ).toBe(447);
    expect(
      reading(result.readings, "energy_consumed", "2023-10-29T02:00:00.000Z")
        .value,
    ).toBe(449);
  });

  it("Enphase production: 2024 spring change, one value column", async () => {
    const result = await importFile({
      file_path: realdata("enphase-enlighten-custom-report-production.csv"),
      timestamp_format: "%m/%d/%Y %H:%M",
      timezone: "Europe/Amsterdam",
      mapping: {
        timestamp: "Date/Time",
        asset_id: { const: "9999999" },
        value: "Energy Produced (Wh)",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(5591);

    // line 11: 01/01/2024 09:00,21 and line 12: 10:00,66
    expect(
      reading(result.readings, "energy_produced", "2024-01-01T08:00:00.000Z")
        .value,
    ).toBe(21);
    expect(
      reading(result.readings, "energy_produced", "2024-01-01T09:00:00.000Z")
        .value,
    ).toBe(66);
    expect(
      reading(result.readings, "energy_produced", "2024-03-31T01:00:00.000Z")
        .source.line,
    ).toBe(2164);
  });

  it("HomeWizard 3-phase: negative watts, no final newline", async () => {
    const result = await importFile({
      file_path: realdata("homewizard-3phase-kwh-15min.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "Europe/Amsterdam",
      mapping: {
        timestamp: "time",
        asset_id: { const: "kwh-meter-3p" },
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(7 * 5);

    // line 2: 2025-06-24 20:30,32.123,0.150,0,-16,-18
    expect(
      reading(result.readings, "import", "2025-06-24T18:30:00.000Z").value,
    ).toBe(32123);
    expect(
      reading(result.readings, "export", "2025-06-24T18:30:00.000Z").value,
    ).toBe(150);
    const l2 = reading(result.readings, "l2_max", "2025-06-24T18:30:00.000Z");
    expect(l2.value).toBe(-16);
    expect(l2.unit).toBe("W");

    // line 8 (no newline after it): 2025-06-24 22:00,...,-146,-146,-144
    expect(
      reading(result.readings, "l3_max", "2025-06-24T20:00:00.000Z").value,
    ).toBe(-144);
  });

  it("HomeWizard P1: cumulative tariff registers", async () => {
    const result = await importFile({
      file_path: realdata("homewizard-p1-15min-elec.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "Europe/Amsterdam",
      mapping: { timestamp: "time", asset_id: { const: "p1" }, values: "*" },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(2880 * 4);

    // line 2: 2022-09-01 00:00,8350.274,4650.277,3095.077,7450.128
    expect(
      reading(result.readings, "import_t1", "2022-08-31T22:00:00.000Z").value,
    ).toBe(8350274);
    expect(
      reading(result.readings, "export_t2", "2022-08-31T22:00:00.000Z").value,
    ).toBe(7450128);
  });

  it("iSolarCloud: BOM before the first header, units in parentheses", async () => {
    const result = await importFile({
      file_path: realdata("isolarcloud-monthly-report.csv"),
      timestamp_format: "%Y-%m-%d",
      timezone: "Europe/Berlin",
      mapping: { timestamp: "Time", asset_id: { const: "plant" }, values: "*" },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(30 * 4);

    // line 2: 2024-09-01,56.2,7,44.7,18.5
    expect(
      reading(result.readings, "pv", "2024-08-31T22:00:00.000Z").value,
    ).toBe(56200);
    expect(
      reading(result.readings, "purchased_energy", "2024-08-31T22:00:00.000Z")
        .value,
    ).toBe(7000);
    expect(
      reading(result.readings, "feed_in", "2024-08-31T22:00:00.000Z").value,
    ).toBe(44700);
    expect(
      reading(result.readings, "load", "2024-08-31T22:00:00.000Z").value,
    ).toBe(18500);
  });

  it("myenergi zappi: serial column, per-phase Wh", async () => {
    const result = await importFile({
      file_path: realdata("myenergi-zappi-report.csv"),
      mapping: {
        timestamp: "Timestamp",
        asset_id: "Serial Number",
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(48 * 3);

    // line 15: XXXXXXXX,2025-07-30T13:00:00.000Z,2879.68,2199.66,2232.26
    const l1 = reading(
      result.readings,
      "diverter_energy_l1",
      "2025-07-30T13:00:00.000Z",
    );
    expect(l1.value).toBe(2879.68);
    expect(l1.asset_id).toBe("XXXXXXXX");
    expect(
      reading(result.readings, "diverter_energy_l3", "2025-07-30T13:00:00.000Z")
        .value,
    ).toBe(2232.26);
  });

  it("Shelly 3EM: phase letter in parentheses is no unit", async () => {
    const result = await importFile({
      file_path: realdata("shelly-3em-cloud-phaseA.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "UTC",
      mapping: {
        timestamp: "Date/time UTC",
        asset_id: { const: "shelly-3em" },
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(4999 * 2);

    // line 2: 2025-01-11 00:00,30.70,0.00
    const active = reading(
      result.readings,
      "active_energy_a",
      "2025-01-11T00:00:00.000Z",
    );
    expect(active.value).toBe(30.7);
    expect(active.unit).toBe("Wh");
    expect(
      reading(result.readings, "returned_energy_a", "2025-01-11T00:00:00.000Z")
        .value,
    ).toBe(0);
  });

  it("SMA WebUI: sep= line, six header rows, units line, NaN", async () => {
    const result = await importFile({
      file_path: realdata("sma-stp6-webui-daily.csv"),
      header_line: 7,
      units_line: 9,
      timestamp_format: "%d.%m.%Y %H:%M:%S",
      timezone: "Europe/Berlin",
      mapping: {
        timestamp: "1",
        asset_id: { const: "STP6.0-3AV-40" },
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(1935 * 5);

    // line 12: 25.03.2020 00:00:00,10805,0,NaN,0,NaN
    const total = reading(
      result.readings,
      "metering_totwhout",
      "2020-03-24T23:00:00.000Z",
    );
    expect(total.value).toBe(10805);
    expect(total.unit).toBe("Wh");
    expect(total.source.line).toBe(12);
    const absent = reading(
      result.readings,
      "metering_gridms_abswhout",
      "2020-03-24T23:00:00.000Z",
    );
    expect(absent.value).toBeNull();
    expect(absent.quality).toBe("missing");

    // line 1944: 09.07.2025 00:00:00,35556951,NaN,...
    expect(
      reading(result.readings, "metering_totwhout", "2025-07-08T22:00:00.000Z")
        .value,
    ).toBe(35556951);
  });

  it("GivEnergy JSON: nested paths, negative grid power", async () => {
    const result = await importFile({
      file_path: realdata(
        "givenergy-meterdata-battery-2025-06-01-first144.json",
      ),
      records: "$.data[*]",
      mapping: {
        timestamp: "time",
        asset_id: { const: "ABCDEFGHIJ" },
        values: {
          "power.grid.power": { metric: "grid_power", unit: "W" },
          "power.grid.voltage": { metric: "grid_voltage", unit: "V" },
          "power.grid.frequency": { metric: "grid_frequency", unit: "Hz" },
          "power.battery.percent": { metric: "battery_soc", unit: "%" },
          "power.battery.temperature": {
            metric: "battery_temperature",
            unit: "celsius",
          },
          "power.solar.arrays[0].power": { metric: "pv1_power", unit: "W" },
          "today.solar": { metric: "solar_energy_today", unit: "kWh" },
          "total.grid.import": { metric: "grid_import_total", unit: "kWh" },
        },
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(144 * 8);

    // record 1: time 2025-05-31T23:00:24Z, grid power -10, voltage 247.7
    const at = "2025-05-31T23:00:24.000Z";
    expect(reading(result.readings, "grid_power", at).value).toBe(-10);
    expect(reading(result.readings, "grid_voltage", at).value).toBe(247.7);
    expect(reading(result.readings, "grid_frequency", at).value).toBe(50.04);
    expect(reading(result.readings, "battery_soc", at).value).toBe(87);
    expect(reading(result.readings, "battery_soc", at).unit).toBe("percent");
    expect(reading(result.readings, "grid_import_total", at).value).toBe(11600);

    // record 144: time 2025-06-01T09:01:14Z, array 1 power 782, today 4.4 kWh
    expect(
      reading(result.readings, "pv1_power", "2025-06-01T09:01:14.000Z").value,
    ).toBe(782);
    expect(
      reading(result.readings, "solar_energy_today", "2025-06-01T09:01:14.000Z")
        .value,
    ).toBe(4400);
  });

  it("SolarEdge JSON: local time, document unit, null at night", async () => {
    const result = await importFile({
      file_path: realdata("solaredge-api-energy-quarterhour-localtime.json"),
      records: "$.energy.values[*]",
      timestamp_format: "%Y-%m-%d %H:%M:%S",
      timezone: "Europe/Amsterdam",
      mapping: {
        timestamp: "date",
        asset_id: { const: "solaredge-site" },
        metric: { const: "energy_produced" },
        value: "value",
        unit: "$.energy.unit",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(96);

    // first record: 2023-07-10 00:00:00, 0.0 (CEST)
    const first = reading(
      result.readings,
      "energy_produced",
      "2023-07-09T22:00:00.000Z",
    );
    expect(first.value).toBe(0);
    expect(first.quality).toBe("measured");

    // 2023-07-10 06:00:00 -> 12.0 Wh
    expect(
      reading(result.readings, "energy_produced", "2023-07-10T04:00:00.000Z")
        .value,
    ).toBe(12);
    const nulls = result.readings.filter((item) => item.value === null);
    expect(nulls).toHaveLength(26);
    expect(nulls.every((item) => item.quality === "missing")).toBe(true);
  });

  it("Green Button XML: ESPI interval blocks per flow direction", async () => {
    const result = await importFile({
      file_path: realdata("greenbutton-unitedpower-espi.xml"),
      timestamp_format: "epoch_s",
      mapping: {
        timestamp: "start",
        asset_id: { template: "usage-point-{usage_point}" },
        metric: "metric",
        value: "value",
        unit: "unit",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(7);

    // MeterReading 01 (flow 1): start 1760853600, value 49600 Wh; the
    // hourly CSV of the same utility sums to 49.6 kWh for that day.
    const delivered = reading(
      result.readings,
      "energy_delivered",
      "2025-10-19T06:00:00.000Z",
    );
    expect(delivered.value).toBe(49600);
    expect(delivered.asset_id).toBe("usage-point-0");
    expect(
      reading(result.readings, "energy_net", "2025-10-19T06:00:00.000Z").value,
    ).toBe(38600);
    expect(
      reading(result.readings, "energy_received", "2025-10-20T06:00:00.000Z")
        .value,
    ).toBe(-29520);

    // MeterReading 04 (uom 38, W): the day's peak demand 10672 W
    expect(
      reading(result.readings, "power_delivered", "2025-10-19T06:00:00.000Z")
        .value,
    ).toBe(10672);
  });
});
