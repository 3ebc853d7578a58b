"""Build src/sunspec/models.json, the compact SunSpec model table.

Models 1, 101, 103, 120, 160, 201 and 203 are converted from the SunSpec
Alliance model definitions (sunspec/models@7abdf89, json/model_N.json,
Apache-2.0), read from the folder given as argv[1]. Models 102, 202 and
204 share the point layout of 101, 201 and 203. Models 111 to 113 (float
inverters) and 121 to 124 (settings, status, controls, storage) are
written out below from the published SunSpec information model
specification, because their JSON files are not in that folder.

Each point is [name, type, size, scale factor name or null, units or null].
"""

import json
import os
import sys

SOURCE = sys.argv[1]
TARGET = os.path.join(os.path.dirname(__file__), "..", "src", "sunspec", "models.json")


def compact(points):
    return [
        [p["name"], p["type"], p.get("size", 1), p.get("sf"), p.get("units")]
        for p in points
    ]


def convert(model_id):
    with open(os.path.join(SOURCE, f"sunspec-model-{model_id}.json"), encoding="utf-8") as handle:
        group = json.load(handle)["group"]
    model = {"name": group["name"], "points": compact(group["points"])}
    for sub in group.get("groups", []):
        model["repeat"] = {"name": sub["name"], "points": compact(sub["points"])}
    return model


def head(model_id):
    return [["ID", "uint16", 1, None, None], ["L", "uint16", 1, None, None]]


def float_inverter(name):
    points = head(0)
    for point, units in [
        ("A", "A"), ("AphA", "A"), ("AphB", "A"), ("AphC", "A"),
        ("PPVphAB", "V"), ("PPVphBC", "V"), ("PPVphCA", "V"),
        ("PhVphA", "V"), ("PhVphB", "V"), ("PhVphC", "V"),
        ("W", "W"), ("Hz", "Hz"), ("VA", "VA"), ("VAr", "var"), ("PF", "Pct"),
        ("WH", "Wh"), ("DCA", "A"), ("DCV", "V"), ("DCW", "W"),
        ("TmpCab", "C"), ("TmpSnk", "C"), ("TmpTrns", "C"), ("TmpOt", "C"),
    ]:
        points.append([point, "float32", 2, None, units])
    points += [
        ["St", "enum16", 1, None, None], ["StVnd", "enum16", 1, None, None],
        ["Evt1", "bitfield32", 2, None, None], ["Evt2", "bitfield32", 2, None, None],
        ["EvtVnd1", "bitfield32", 2, None, None], ["EvtVnd2", "bitfield32", 2, None, None],
        ["EvtVnd3", "bitfield32", 2, None, None], ["EvtVnd4", "bitfield32", 2, None, None],
    ]
    return {"name": name, "points": points}


def listed(name, rows):
    return {"name": name, "points": head(0) + [[r[0], r[1], r[2], r[3], r[4]] for r in rows]}


SETTINGS = [
    ("WMax", "uint16", 1, "WMax_SF", "W"), ("VRef", "uint16", 1, "VRef_SF", "V"),
    ("VRefOfs", "int16", 1, "VRefOfs_SF", "V"), ("VMax", "uint16", 1, "VMinMax_SF", "V"),
    ("VMin", "uint16", 1, "VMinMax_SF", "V"), ("VAMax", "uint16", 1, "VAMax_SF", "VA"),
    ("VArMaxQ1", "int16", 1, "VArMax_SF", "var"), ("VArMaxQ2", "int16", 1, "VArMax_SF", "var"),
    ("VArMaxQ3", "int16", 1, "VArMax_SF", "var"), ("VArMaxQ4", "int16", 1, "VArMax_SF", "var"),
    ("WGra", "uint16", 1, "WGra_SF", "Pct"), ("PFMinQ1", "int16", 1, "PFMin_SF", None),
    ("PFMinQ2", "int16", 1, "PFMin_SF", None), ("PFMinQ3", "int16", 1, "PFMin_SF", None),
    ("PFMinQ4", "int16", 1, "PFMin_SF", None), ("VArAct", "enum16", 1, None, None),
    ("ClcTotVA", "enum16", 1, None, None), ("MaxRmpRte", "uint16", 1, "MaxRmpRte_SF", "Pct"),
    ("ECPNomHz", "uint16", 1, "ECPNomHz_SF", "Hz"), ("ConnPh", "enum16", 1, None, None),
    ("WMax_SF", "sunssf", 1, None, None), ("VRef_SF", "sunssf", 1, None, None),
    ("VRefOfs_SF", "sunssf", 1, None, None), ("VMinMax_SF", "sunssf", 1, None, None),
    ("VAMax_SF", "sunssf", 1, None, None), ("VArMax_SF", "sunssf", 1, None, None),
    ("WGra_SF", "sunssf", 1, None, None), ("PFMin_SF", "sunssf", 1, None, None),
    ("MaxRmpRte_SF", "sunssf", 1, None, None), ("ECPNomHz_SF", "sunssf", 1, None, None),
]

STATUS = [
    ("PVConn", "bitfield16", 1, None, None), ("StorConn", "bitfield16", 1, None, None),
    ("ECPConn", "bitfield16", 1, None, None), ("ActWh", "acc64", 4, None, "Wh"),
    ("ActVAh", "acc64", 4, None, "VAh"), ("ActVArhQ1", "acc64", 4, None, "varh"),
    ("ActVArhQ2", "acc64", 4, None, "varh"), ("ActVArhQ3", "acc64", 4, None, "varh"),
    ("ActVArhQ4", "acc64", 4, None, "varh"), ("VArAval", "int16", 1, "VArAval_SF", "var"),
    ("VArAval_SF", "sunssf", 1, None, None), ("WAval", "uint16", 1, "WAval_SF", "W"),
    ("WAval_SF", "sunssf", 1, None, None), ("StSetLimMsk", "bitfield32", 2, None, None),
    ("StActCtl", "bitfield32", 2, None, None), ("TmSrc", "string", 4, None, None),
    ("Tms", "uint32", 2, None, "s"), ("RtSt", "bitfield16", 1, None, None),
    ("Ris", "uint16", 1, "Ris_SF", "ohm"), ("Ris_SF", "sunssf", 1, None, None),
]

CONTROLS = [
    ("Conn_WinTms", "uint16", 1, None, "s"), ("Conn_RvrtTms", "uint16", 1, None, "s"),
    ("Conn", "enum16", 1, None, None), ("WMaxLimPct", "uint16", 1, "WMaxLimPct_SF", "Pct"),
    ("WMaxLimPct_WinTms", "uint16", 1, None, "s"), ("WMaxLimPct_RvrtTms", "uint16", 1, None, "s"),
    ("WMaxLimPct_RmpTms", "uint16", 1, None, "s"), ("WMaxLim_Ena", "enum16", 1, None, None),
    ("OutPFSet", "int16", 1, "OutPFSet_SF", None), ("OutPFSet_WinTms", "uint16", 1, None, "s"),
    ("OutPFSet_RvrtTms", "uint16", 1, None, "s"), ("OutPFSet_RmpTms", "uint16", 1, None, "s"),
    ("OutPFSet_Ena", "enum16", 1, None, None), ("VArWMaxPct", "int16", 1, "VArPct_SF", "Pct"),
    ("VArMaxPct", "int16", 1, "VArPct_SF", "Pct"), ("VArAvalPct", "int16", 1, "VArPct_SF", "Pct"),
    ("VArPct_WinTms", "uint16", 1, None, "s"), ("VArPct_RvrtTms", "uint16", 1, None, "s"),
    ("VArPct_RmpTms", "uint16", 1, None, "s"), ("VArPct_Mod", "enum16", 1, None, None),
    ("VArPct_Ena", "enum16", 1, None, None), ("WMaxLimPct_SF", "sunssf", 1, None, None),
    ("OutPFSet_SF", "sunssf", 1, None, None), ("VArPct_SF", "sunssf", 1, None, None),
]

STORAGE = [
    ("WChaMax", "uint16", 1, "WChaMax_SF", "W"), ("WChaGra", "uint16", 1, "WChaDisChaGra_SF", "Pct"),
    ("WDisChaGra", "uint16", 1, "WChaDisChaGra_SF", "Pct"), ("StorCtl_Mod", "bitfield16", 1, None, None),
    ("VAChaMax", "uint16", 1, "VAChaMax_SF", "VA"), ("MinRsvPct", "uint16", 1, "MinRsvPct_SF", "Pct"),
    ("ChaState", "uint16", 1, "ChaState_SF", "Pct"), ("StorAval", "uint16", 1, "StorAval_SF", "Ah"),
    ("InBatV", "uint16", 1, "InBatV_SF", "V"), ("ChaSt", "enum16", 1, None, None),
    ("OutWRte", "int16", 1, "InOutWRte_SF", "Pct"), ("InWRte", "int16", 1, "InOutWRte_SF", "Pct"),
    ("InOutWRte_WinTms", "uint16", 1, None, "s"), ("InOutWRte_RvrtTms", "uint16", 1, None, "s"),
    ("InOutWRte_RmpTms", "uint16", 1, None, "s"), ("ChaGriSet", "enum16", 1, None, None),
    ("WChaMax_SF", "sunssf", 1, None, None), ("WChaDisChaGra_SF", "sunssf", 1, None, None),
    ("VAChaMax_SF", "sunssf", 1, None, None), ("MinRsvPct_SF", "sunssf", 1, None, None),
    ("ChaState_SF", "sunssf", 1, None, None), ("StorAval_SF", "sunssf", 1, None, None),
    ("InBatV_SF", "sunssf", 1, None, None), ("InOutWRte_SF", "sunssf", 1, None, None),
]

models = {}
for model_id in (1, 101, 103, 120, 160, 201, 203):
    models[str(model_id)] = convert(model_id)
models["102"] = {**models["101"], "name": "inverter_split_phase"}
models["202"] = {**models["201"], "name": "ac_meter_split_phase"}
models["204"] = {**models["203"], "name": "ac_meter_abcn_delta"}
models["111"] = float_inverter("inverter_single_phase_float")
models["112"] = float_inverter("inverter_split_phase_float")
models["113"] = float_inverter("inverter_three_phase_float")
models["121"] = listed("settings", SETTINGS)
models["122"] = listed("status", STATUS)
models["123"] = listed("controls", CONTROLS)
models["124"] = listed("storage", STORAGE)

expected = {"1": 68, "101": 52, "103": 52, "111": 62, "120": 28, "121": 32,
            "122": 46, "123": 26, "124": 26, "201": 107, "203": 107}
for key, size in expected.items():
    total = sum(point[2] for point in models[key]["points"])
    assert total == size, (key, total, size)

ordered = {key: models[key] for key in sorted(models, key=int)}
with open(TARGET, "w", encoding="utf-8") as handle:
    json.dump(ordered, handle, separators=(",", ":"))
    handle.write("\n")
print(f"wrote {len(ordered)} models to {TARGET}")
