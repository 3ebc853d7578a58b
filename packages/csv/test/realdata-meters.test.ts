import { describe, expect, it } from "vitest";
import { expectUniqueIds, importFile, reading, realdata } from "./helpers.js";

// Real exports of meter operators and smart-meter loggers. Each expected
// value was read from the named line of the file and converted by hand
// (kWh * 1000 = Wh; local time to UTC with the zone's offset that day).

describe("real exports: meter operators and loggers", () => {
  it("Chronograf export: quoted numbers, ISO with +01:00", async () => {
    const result = await importFile({
      file_path: realdata("chronograf-export-kwh.csv"),
      mapping: {
        timestamp: "time",
        asset_id: { const: "meter-1" },
        metric: { const: "energy_import" },
        value: "kWh.first_value",
        unit: "kWh",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(291);

    // line 2: "2026-02-13T10:00:00.000+01:00","28477.6"
    expect(
      reading(result.readings, "energy_import", "2026-02-13T09:00:00.000Z")
        .value,
    ).toBe(28477600);

    // line 4: "2026-02-13T12:00:00.000+01:00","28479"
    expect(
      reading(result.readings, "energy_import", "2026-02-13T11:00:00.000Z")
        .value,
    ).toBe(28479000);
  });

  it("DSMR-reader: offsets switch across both DST changes", async () => {
    const result = await importFile({
      file_path: realdata("dsmr-reader-hourly.csv"),
      mapping: {
        timestamp: "Hour Start",
        asset_id: { const: "p1-meter" },
        values: {
          "Electricity 1 (Dutch Users: Low Tariff)": {
            metric: "import_low",
            unit: "kWh",
          },
          "Electricity 2 (Dutch Users: Normal Tariff)": {
            metric: "import_normal",
            unit: "kWh",
          },
          "Electricity 1 Returned (Dutch Users: Low Tariff)": {
            metric: "export_low",
            unit: "kWh",
          },
          "Electricity 2 Returned (Dutch Users: Normal Tariff)": {
            metric: "export_normal",
            unit: "kWh",
          },
          Gas: { metric: "gas", unit: "m3" },
        },
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(8754 * 5);
    expectUniqueIds(result.readings);

    // lines 2133-2134: 2024-03-31T01:00:00+01:00 then 03:00:00+02:00
    expect(
      reading(result.readings, "import_low", "2024-03-31T00:00:00.000Z").value,
    ).toBe(126);
    expect(
      reading(result.readings, "import_low", "2024-03-31T01:00:00.000Z").value,
    ).toBe(123);

    // lines 7173-7174: 02:00:00+02:00 (0.207) and 02:00:00+01:00 (0.515)
    expect(
      reading(result.readings, "import_low", "2024-10-27T00:00:00.000Z").value,
    ).toBe(207);
    expect(
      reading(result.readings, "import_low", "2024-10-27T01:00:00.000Z").value,
    ).toBe(515);

    // line 11: 2024-01-01T09:00:00+01:00,0.301,0,0,0,0.927
    const gas = reading(result.readings, "gas", "2024-01-01T08:00:00.000Z");
    expect(gas.value).toBe(0.927);
    expect(gas.unit).toBe("m3");
  });

  it("EDC: decimal comma, date and time columns, trailing delimiter", async () => {
    const result = await importFile({
      file_path: realdata("edc-cr-solar-15min.csv"),
      timestamp_format: "%d.%m.%Y %H:%M",
      timezone: "Europe/Prague",
      mapping: {
        timestamp: ["Datum", "Cas od"],
        asset_id: { const: "123456789987654321" },
        metric: { const: "feed_in" },
        value: "123456789987654321-987654321123456789",
        unit: "kWh",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(16);

    // line 10: 01.08.2025;10:00;10:15;0,1;  (CEST, UTC+2)
    expect(
      reading(result.readings, "feed_in", "2025-08-01T08:00:00.000Z").value,
    ).toBe(100);
    expect(
      reading(result.readings, "feed_in", "2025-08-01T08:15:00.000Z").value,
    ).toBe(150);
    const trailing = result.diagnostics.filter(
      (item) => item.code === "QUBIT_CSV_HEADER_EMPTY_COLUMN",
    );
    expect(trailing).toHaveLength(1);
  });

  it("Enel: one row per day, quarter hours as columns", async () => {
    const result = await importFile({
      file_path: realdata("enel-distribuzione-quarterhour-wide.csv"),
      timestamp_format: "%d/%m/%Y",
      timezone: "Europe/Rome",
      mapping: {
        timestamp: "Giorno",
        asset_id: { const: "pod-1" },
        metric: { const: "consumption" },
        unit: "kWh",
        time_slots: true,
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(30 * 96);
    expectUniqueIds(result.readings);

    // line 2: "01/09/2024";"0,139";... ;"0,092" (the 23:45-00:00 slot)
    expect(
      reading(result.readings, "consumption", "2024-08-31T22:00:00.000Z").value,
    ).toBe(139);
    expect(
      reading(result.readings, "consumption", "2024-09-01T21:45:00.000Z").value,
    ).toBe(92);
  });

  it("Energie Manager: epoch seconds and a factor column", async () => {
    const result = await importFile({
      file_path: realdata("energiemanager-online-elec-15min.csv"),
      timestamp_format: "epoch_s",
      mapping: {
        timestamp: "moment",
        asset_id: "ean",
        metric: "code",
        value: "value",
        multiplier_column: "factor",
        unit: "kWh",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(4998);

    // line 3: ...;1735686000;2025-01-01 00:00:00;35089902;0.001;0
    const first = reading(result.readings, "ellm", "2024-12-31T23:00:00.000Z");
    expect(first.asset_id).toBe("871717700000000001");
    expect(first.value).toBe(35089902);
  });

  it("Energie Manager daily: trailing ;, decimal comma, a total row", async () => {
    const result = await importFile({
      file_path: realdata("energiemanager-online-site-daily-2014.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "Europe/Amsterdam",
      // The last line is the year's total (2014-01-01 to 2015-01-01).
      skip_lines_matching: "^2014-01-01 00:00;2015-01-01",
      mapping: {
        timestamp: "Vanaf",
        asset_id: { const: "site" },
        unit: "kWh",
        values: {
          "Verbruik laag tarief": "import_low",
          "Verbruik hoog tarief": "import_high",
          "Teruglevering laag tarief": "export_low",
          "Teruglevering hoog tarief": "export_high",
          Totaal: "net",
        },
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.summary?.skipped_rows).toBe(1);
    expect(result.readings).toHaveLength(365 * 5);

    // line 2: 2014-01-01 00:00;...;8,35400;0,00000;-0,73200;0,00000;7,62200;
    expect(
      reading(result.readings, "import_low", "2013-12-31T23:00:00.000Z").value,
    ).toBe(8354);
    expect(
      reading(result.readings, "export_low", "2013-12-31T23:00:00.000Z").value,
    ).toBe(-732);
    expect(
      reading(result.readings, "net", "2013-12-31T23:00:00.000Z").value,
    ).toBe(7622);
  });

  it("Energie Manager total row: thousands dots with a decimal comma", async () => {
    const result = await importFile({
      file_path: realdata("energiemanager-online-site-daily-2014.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "Europe/Amsterdam",
      skip_lines_matching:
        "^2014-(0[2-9]|1[0-2]|01-(0[2-9]|[123]\\d))|^2014-01-01 00:00;2014-01-02",
      mapping: {
        timestamp: "Vanaf",
        asset_id: { const: "site" },
        unit: "kWh",
        values: { Totaal: "year_total" },
      },
    });

    // last line: 2014-01-01 00:00;2015-01-01 00:00;...;2.469,10100;
    expect(result.readings).toHaveLength(1);
    expect(result.readings[0]?.value).toBe(2469101);
  });

  it("ENGIE: every field quoted, boolean column", async () => {
    const result = await importFile({
      file_path: realdata("engie-nl-hourly.csv"),
      mapping: {
        timestamp: "Datum",
        asset_id: "EAN",
        value: "Verbruik",
        metric: {
          column: "Type",
          map: { Elektriciteit: "electricity_import" },
        },
        unit: "kWh",
        values: { Piek: { metric: "peak_tariff", type: "boolean" } },
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(4999 * 2);

    // line 2: "2021-12-25T00:00:00+01:00","871687100000000001","0.742","Elektriciteit","false"
    const first = reading(
      result.readings,
      "electricity_import",
      "2021-12-24T23:00:00.000Z",
    );
    expect(first.value).toBe(742);
    expect(first.asset_id).toBe("871687100000000001");
    expect(
      reading(result.readings, "peak_tariff", "2021-12-24T23:00:00.000Z").value,
    ).toBe(false);
  });

  it("Fluvius electricity: Dutch headers, Excel EAN, DST, empty volume", async () => {
    const result = await importFile({
      file_path: realdata("fluvius-elec-15min-nl.csv"),
      timestamp_format: "%d-%m-%Y %H:%M:%S",
      timezone: "Europe/Brussels",
      mapping: {
        timestamp: ["Van datum", "Van tijdstip"],
        asset_id: "EAN",
        device_id: "Meter",
        metric: {
          column: "Register",
          map: {
            "Afname Dag": "import_day",
            "Afname Nacht": "import_night",
            "Injectie Dag": "export_day",
            "Injectie Nacht": "export_night",
          },
        },
        value: "Volume",
        unit: "Eenheid",
        quality: {
          column: "Validatiestatus",
          map: {
            Gevalideerd: "validated",
            Geschat: "estimated",
            "Geen verbruik": "missing",
          },
        },
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(3848);
    expectUniqueIds(result.readings);

    // line 30: 12-10-2021;07:30:00;...;Afname Dag;0,067;kWh;Gevalideerd
    const day = reading(
      result.readings,
      "import_day",
      "2021-10-12T05:30:00.000Z",
    );
    expect(day.asset_id).toBe("123456879123456789");
    expect(day.value).toBe(67);
    expect(day.quality).toBe("validated");
    const missing = result.readings.filter((item) => item.value === null);
    expect(missing).toHaveLength(2566);
    expect(missing.every((item) => item.quality === "missing")).toBe(true);

    // lines 3666 and 3668: 31-10-2021 02:00 twice per register (CEST, then CET)
    expect(
      reading(result.readings, "import_night", "2021-10-31T00:00:00.000Z")
        .source.line,
    ).toBe(3666);
    expect(
      reading(result.readings, "import_night", "2021-10-31T01:00:00.000Z")
        .source.line,
    ).toBe(3668);
  });

  it("Fluvius gas: each hour in kWh and in m³", async () => {
    const result = await importFile({
      file_path: realdata("fluvius-gas-hourly-nl.csv"),
      timestamp_format: "%d-%m-%Y %H:%M:%S",
      timezone: "Europe/Brussels",
      mapping: {
        timestamp: ["Van datum", "Van tijdstip"],
        asset_id: "EAN-code",
        metric: {
          column: "Eenheid",
          map: { kWh: "gas_energy", "m³": "gas_volume" },
        },
        value: "Volume",
        unit: "Eenheid",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(116);
    expectUniqueIds(result.readings);

    // lines 4-5: 10-01-2022;07:00:00;...;5,445;kWh and 0,495;m³
    expect(
      reading(result.readings, "gas_energy", "2022-01-10T06:00:00.000Z").value,
    ).toBe(5445);
    const volume = reading(
      result.readings,
      "gas_volume",
      "2022-01-10T06:00:00.000Z",
    );
    expect(volume.value).toBe(0.495);
    expect(volume.unit).toBe("m3");
  });

  it("GreenChoice: newest first, integer registers", async () => {
    const result = await importFile({
      file_path: realdata("greenchoice-meter-readings.csv"),
      timestamp_format: "%Y-%m-%d",
      timezone: "Europe/Amsterdam",
      mapping: {
        timestamp: "OpnameDatum",
        asset_id: { const: "home" },
        unit: "kWh",
        values: "*",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(103 * 4);

    // line 2: 2023-08-02;874;824;1608;722
    expect(
      reading(result.readings, "standnormaal", "2023-08-01T22:00:00.000Z")
        .value,
    ).toBe(874000);
    expect(
      reading(result.readings, "terugleveringdal", "2023-08-01T22:00:00.000Z")
        .value,
    ).toBe(722000);
  });

  it("Liander: padded lines, electricity and gas meters in one file", async () => {
    const result = await importFile({
      file_path: realdata("liander-meter-readings.csv"),
      timestamp_format: "%d-%m-%Y",
      timezone: "Europe/Amsterdam",
      on_missing: "skip",
      mapping: {
        timestamp: "meterreadingdate",
        asset_id: "eancodeasn",
        device_id: "meternummer",
        unit: {
          column: "meternummer",
          pattern: "^([EG])",
          map: { E: "kWh", G: "m3" },
        },
        values: ["reading1", "usage1", "reading2", "usage2"],
      },
    });

    expect(result.deadLetters).toHaveLength(0);

    // line 3: 871687100000000001,E0000000000000001,06-06-2023,15630.4,4.2,17779.4,7.5,...
    const register = reading(
      result.readings,
      "reading1",
      "2023-06-05T22:00:00.000Z",
      "871687100000000001",
    );
    expect(register.value).toBe(15630400);
    expect(register.device_id).toBe("E0000000000000001");
    expect(
      reading(
        result.readings,
        "usage2",
        "2023-06-05T22:00:00.000Z",
        "871687100000000001",
      ).value,
    ).toBe(7500);

    // line 209: 871687100000000002,G0000000000000002,06-06-2023,11053.3,.6,,,...
    const gas = reading(
      result.readings,
      "usage1",
      "2023-06-05T22:00:00.000Z",
      "871687100000000002",
    );
    expect(gas.value).toBe(0.6);
    expect(gas.unit).toBe("m3");
  });

  it("meterN: no header, YYYYMMDD dates", async () => {
    const result = await importFile({
      file_path: realdata("metern-ev-daily-noheader.csv"),
      column_names: ["date", "energy"],
      timestamp_format: "%Y%m%d",
      timezone: "Europe/Rome",
      mapping: {
        timestamp: "date",
        asset_id: { const: "ev" },
        metric: { const: "charged_energy" },
        value: "energy",
        unit: "Wh",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(363);

    // line 1: 20240101,11420
    expect(
      reading(result.readings, "charged_energy", "2023-12-31T23:00:00.000Z")
        .value,
    ).toBe(11420);
    expect(
      reading(result.readings, "charged_energy", "2023-12-31T23:00:00.000Z")
        .source.line,
    ).toBe(1);
  });

  it("United Power: banners, period strings, three blocks", async () => {
    const result = await importFile({
      file_path: realdata("united-power-hourly-usage.csv"),
      timestamp_format: "%Y-%m-%d %H:%M",
      timezone: "America/Denver",
      skip_lines_matching: "^\\s*([A-Za-z=]|$)",
      mapping: {
        timestamp: {
          column: "Energy consumption time period",
          pattern: "^(\\S+ \\S+) to ",
        },
        asset_id: { const: "united-power-meter" },
        metric: {
          column: "$section",
          map: {
            "1": "energy_received",
            "2": "energy_delivered",
            "3": "energy_net",
          },
        },
        value: "Usage(Real energy in kilowatt-hours)",
        unit: "kWh",
      },
    });

    expect(result.deadLetters).toHaveLength(0);
    expect(result.readings).toHaveLength(3 * 48);
    expectUniqueIds(result.readings);

    // line 17 (first block): 2025-10-19 02:00 to 03:00,-0.010 (MDT, UTC-6)
    expect(
      reading(result.readings, "energy_received", "2025-10-19T08:00:00.000Z")
        .value,
    ).toBe(-10);

    // line 75 (second block): 2025-10-19 00:00 to 01:00,0.970
    expect(
      reading(result.readings, "energy_delivered", "2025-10-19T06:00:00.000Z")
        .value,
    ).toBe(970);

    // The day's delivered energy matches the utility's Green Button file: 49.6 kWh.
    const day = result.readings.filter(
      (item) =>
        item.metric === "energy_delivered" &&
        item.timestamp < "2025-10-20T06:00:00.000Z",
    );
    expect(
      day.reduce((sum, item) => sum + (item.value as number), 0),
    ).toBeCloseTo(49600, 6);
  });
});
