"""python -m bench [--reseed] [--only list|pdf|import|receiving|reports] [--rounds N]: seed if needed,
measure, print, write results."""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

from bench import measure, seed

RESULTS = Path(__file__).resolve().parent / "results.json"
LIST_TARGET_MS = 50.0
PDF_TARGET_S = 1.0
REPORT_TARGET_S = 2.0


def entry(name: str, value: float | None, unit: str, target: float | None, floor: float | None, *,
          ratio_target: float | None = None, detail: dict | None = None, note: str | None = None) -> dict:
    ratio = round(value / floor, 2) if value is not None and floor else None
    if value is None:
        ok = None
    else:
        ok = (target is None or value <= target) and (ratio_target is None or (ratio is not None
                                                                               and ratio <= ratio_target))
    result = {"name": name, "value": value, "unit": unit, "target": target, "floor": floor, "ratio": ratio, "ok": ok}
    if ratio_target is not None:
        result["ratio_target"] = ratio_target
    if detail:
        result["detail"] = detail
    if note:
        result["note"] = note
    return result


def order_list_entries(result: dict) -> list[dict]:
    floor = result["floor"]
    floor_p95 = measure.p95(floor.times) * 1000
    entries = []
    for who, person in result["people"].items():
        times = [t for v in person["variants"] for t in v.times]
        detail = {v.name: v.summary() for v in person["variants"]}
        entries.append(entry(f"order list p95, {who}", round(measure.p95(times) * 1000, 2), "ms", LIST_TARGET_MS,
                             round(floor_p95, 2), detail=detail))
    return entries


def fmt(value, unit="") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.3g}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def print_table(entries: list[dict], out=sys.stdout) -> None:
    rows = [("target", "value", "limit", "floor", "ratio", "ok")]
    for e in entries:
        limits = []
        if e["target"] is not None:
            limits.append(f"<= {fmt(e['target'], e['unit'])}")
        if e.get("ratio_target") is not None:
            limits.append(f"<= {fmt(e['ratio_target'])}x floor")
        ok = {True: "ok", False: "FAIL", None: "not built"}[e["ok"]]
        rows.append((e["name"], fmt(e["value"], e["unit"]), ", ".join(limits), fmt(e["floor"], e["unit"]),
                     f"{e['ratio']:.2f}x" if e["ratio"] is not None else "—", ok))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = "  ".join("-" * w for w in widths)
    print(line, file=out)
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print(line, file=out)
    print(line, file=out)
    for e in entries:
        if e.get("note"):
            print(f"  {e['name']}: {e['note']}", file=out)


def short_sql(statement: str) -> str:
    """One line, long column lists shown as '…'."""
    text = " ".join(statement.split())
    return re.sub(r"SELECT ((?:(?!SELECT |FROM ).)*?) FROM ",
                  lambda m: f"SELECT {m.group(1) if m.group(1).count(',') < 3 else '…'} FROM ", text)


def order_list_diagnosis(app, result: dict) -> list[dict]:
    """For each filter over the target: its slowest statement and the database's plan for it."""
    found = []
    for who, person in result["people"].items():
        for variant in person["variants"]:
            if measure.p95(variant.times) * 1000 > LIST_TARGET_MS and variant.slowest[1]:
                took, statement, parameters = variant.slowest
                found.append({"user": who, "filter": variant.name, "ms": round(took * 1000, 1),
                              "sql": short_sql(statement), "parameters": [str(p) for p in parameters],
                              "plan": measure.explain(app, statement, parameters)})
    return found


def print_order_list_detail(entries: list[dict], result: dict, diagnosis: list[dict], out=sys.stdout) -> None:
    print("\nOrder list by filter (ms; 'sql' is the time in the database driver's execute calls):", file=out)
    print(f"  {'user':<18} {'filter':<18} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'sql p50':>8} {'queries':>7}",
          file=out)
    for e in entries:
        who = e["name"].split(", ", 1)[1]
        for name, s in e["detail"].items():
            flag = "  <-- over the target" if s["p95_ms"] > LIST_TARGET_MS else ""
            print(f"  {who:<18} {name:<18} {s['n']:>4} {s['p50_ms']:>7.1f} {s['p95_ms']:>7.1f} {s['max_ms']:>7.1f} "
                  f"{s['sql_p50_ms']:>8.1f} {s['queries']:>7}{flag}", file=out)
    floor = result["floor"]
    print(f"  {'floor (bare route)':<37} {len(floor.times):>4} {statistics.median(floor.times) * 1000:>7.1f} "
          f"{measure.p95(floor.times) * 1000:>7.1f} {max(floor.times) * 1000:>7.1f}", file=out)
    for d in diagnosis:
        print(f"\n  {d['user']}, {d['filter']}: slowest statement {d['ms']} ms, parameters {d['parameters']}\n"
              f"    {d['sql']}\n  plan:", file=out)
        for line in d["plan"]:
            print(f"    {line}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--reseed", action="store_true", help="seed the bench database again")
    parser.add_argument("--only", choices=["list", "pdf", "import", "receiving", "reports"], help="measure only this")
    parser.add_argument("--rounds", type=int, default=40, help="requests per filter of the order list (40)")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")),
                        help="fraction of the depot's scale (development only; results are not comparable)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    url = seed.database_url()
    facts = seed.ensure_seeded(url, reseed=args.reseed, scale=seed.Scale().scaled(args.scale))
    rows = facts["rows"]
    print(f"Bench data: {seed.display_url(url)}, seeded {facts['seeded_at']} in {facts['seconds']:.0f} s: "
          f"{rows['companies']:,} companies, {rows['orders']:,} orders, {rows['devices']:,} devices, "
          f"{rows['transitions']:,} transitions")
    if args.scale != 1:
        print(f"Scale {args.scale}: for developing the bench only, the figures say nothing about the targets.")

    app = measure.bench_app(url)
    entries: list[dict] = []
    list_result = None
    if args.only in (None, "list"):
        print("Measuring the customer order list ...", flush=True)
        list_result = measure.measure_order_lists(app, facts, rounds=args.rounds)
        entries += order_list_entries(list_result)
    if args.only in (None, "pdf"):
        print("Measuring the logistics PDF ...", flush=True)
        pdf = measure.measure_logistics_pdf(app, facts)
        entries.append(entry(f"logistics PDF, {pdf['detail']['devices']:,} devices", round(pdf["value"], 3), "s",
                             PDF_TARGET_S, round(pdf["floor"], 3), detail=pdf["detail"]))
    if args.only in (None, "import"):
        from bench import imports

        print("Measuring the spreadsheet import ...", flush=True)
        upload = imports.measure_upload_to_preview(app, facts)
        entries.append(entry("spreadsheet import, 10,000 rows, upload to preview", round(upload["value"], 3), "s",
                             None, round(upload["floor"], 3), ratio_target=1.0, detail=upload["detail"],
                             note="the whole app: POST the file to a draft of the largest company, GET the "
                                  "preview; floor: openpyxl read-only just reading the file"))
        peak = imports.measure_peak_rss()
        entries.append(entry("spreadsheet import, peak RSS at 50,000 rows", round(peak["peak_rss_mb"], 1), "MB",
                             250.0, None, detail=peak,
                             note="a fresh process reading 50,000 rows, its peak RSS (VmHWM) as the OS reports it"))
    if args.only in (None, "receiving"):
        from bench import receiving

        print("Measuring the receiving scan ...", flush=True)
        scan = receiving.measure_receiving(app, facts)
        entries.append(entry("receiving scan p95", round(scan["value"], 2), "ms", 15.0, round(scan["floor"], 2),
                             ratio_target=3.0, detail=scan["detail"],
                             note="POST a tag code to the receiving station as its page does (login, station, "
                                  "workflow); floor: a bare route that looks a device up by tag code, updates one "
                                  "column and commits"))
    if args.only in (None, "reports"):
        from bench import reports

        print("Measuring the reports ...", flush=True)
        measured = reports.measure_reports(app, facts)
        entries.append(entry("every report over 12 months", measured["value"], "s", REPORT_TARGET_S, None,
                             detail=measured["detail"],
                             note=f"the slowest of {len(measured['detail'])} report pages (the worst of 3 "
                                  f"runs each), 12 months of all devices: {measured['slowest']}; the "
                                  f".xlsx downloads are in the detail"))

    print()
    print_table(entries)
    if list_result:
        diagnosis = order_list_diagnosis(app, list_result)
        for e in entries:
            for d in diagnosis:
                if e["name"].endswith(d["user"]):
                    e["detail"][d["filter"]]["slowest"] = {k: d[k] for k in ("ms", "sql", "parameters", "plan")}
        print_order_list_detail([e for e in entries if e["name"].startswith("order list")], list_result, diagnosis)
    RESULTS.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS} "
          f"in {time.perf_counter() - started:.0f} s")
    failed = [e["name"] for e in entries if e["ok"] is False]
    if failed:
        print("Over target: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
