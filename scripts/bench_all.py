"""Every write-path benchmark in one command, and the summary table they keep current.

    python scripts/bench_all.py                 # each benchmark at 10k (~20 min here)
    python scripts/bench_all.py --million       # the same at 1M where it means anything (hours)
    python scripts/bench_all.py --only register leads --no-docs

Each benchmark runs in a process of its own (as a user runs it), beside the raw baseline
it measures in the same run, and reports its headline figures through
``bench_figures.figure``. The figures are kept in ``docs/bench/figures.json`` - one per
row, replaced when measured again, with the date, the commit and the command - and the
table between the markers at the top of ``docs/performance.md`` is rewritten from them,
so it always says where we stand; the sections below it are the history of how.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_figures import figure

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "bench" / "figures.json"
PERFORMANCE = ROOT / "docs" / "performance.md"
BEGIN = "<!-- bench_all: where we stand (rewritten by scripts/bench_all.py) -->"
END = "<!-- bench_all: end -->"


@dataclass(frozen=True)
class Bench:
    """One benchmark: its name, its arguments at 10k and at 1M (None: not run there);
    ``{work}`` in an argument is a folder kept for the run."""

    name: str
    script: str
    small: tuple[str, ...]
    large: tuple[str, ...] | None = None


BENCHES = (
    Bench("register", "bench_register.py", ("--customers", "10000"),
          ("--customers", "1000000")),
    Bench("import_scale", "bench_import_scale.py",
          ("--books", "{work}/book-10k:10000", "--rows", "20000", "--work", "{work}/import"),
          ("--books", "{work}/book-10k:10000", "{work}/book-1m:1000000", "--rows", "20000",
           "--work", "{work}/import")),
    Bench("leads", "bench_leads.py", ("--leads", "10000", "--deals", "200"),
          ("--leads", "1000000", "--deals", "1000")),
    Bench("pool", "bench_pool.py", ("--customers", "10000", "--commands", "500"),
          ("--customers", "1000000", "--commands", "2000")),
    Bench("sweep", "bench_sweep.py", ("--customers", "10000", "--due", "1000", "--dir",
                                      "{work}/sweep-10k"),
          ("--customers", "1000000", "--due", "10000", "--dir", "{work}/sweep-1m")),
    Bench("identity", "bench_identity_speed.py", ("--customers", "10000"),
          ("--customers", "1000000")),
    Bench("relay", "bench_relay.py", ("--events", "100000"), ("--events", "1000000")),
    Bench("rebuild", "bench_startup.py", ("--customers", "10000", "--dir",
                                          "{work}/startup-10k"),
          ("--customers", "1000000", "--dir", "{work}/startup-1m")),
    Bench("demo", "", ("10000",), ("100000",)),
)


def run_demo(customers: str, work: Path) -> None:
    """``crm demo --customers N`` in a folder of its own, timed from outside: what a new
    user waits for."""
    folder = work / f"demo-{customers}"
    folder.mkdir(parents=True, exist_ok=True)
    crm = Path(sys.executable).with_name("crm")
    command = [str(crm) if crm.exists() else "crm", "demo", "--customers", customers, "--fresh"]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"crm demo exited {done.returncode}: {done.stderr[-2000:]}")
    print(f"crm demo --customers {customers}: {wall:.1f} s wall")
    figure(f"crm demo --customers {int(customers):,}", wall, "s",
           target="<= 5 minutes at 100k", detail="wall, from a fresh folder")


def run(bench: Bench, arguments: tuple[str, ...], work: Path, figures_file: Path) -> str:
    """Runs one benchmark, its output shown as it comes; returns the command line."""
    argv = tuple(a.replace("{work}", str(work)) for a in arguments)
    # Where this run's figures go: read by figure() here and in the benchmark's process.
    os.environ["CRM_BENCH_FIGURES"] = str(figures_file)
    if not bench.script:
        run_demo(argv[0], work)
        return f"crm demo --customers {argv[0]}"
    command = [sys.executable, str(ROOT / "scripts" / bench.script), *argv]
    print(f"\n$ python scripts/{bench.script} {' '.join(argv)}", flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{bench.script} exited {done.returncode}")
    shown = " ".join(a.replace("{work}", "DIR") for a in arguments)
    return f"python scripts/{bench.script} {shown}"


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    return found.stdout.strip() or "?"


def _amount(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "s":
        return f"{value:,.1f} s"
    return f"{value:,.0f} {unit}" if unit.startswith(("rows", "events")) else f"{value:,.0f}{unit}"


def table(figures: dict[str, dict[str, Any]]) -> str:
    """The summary table, a row per figure in the order the benchmarks run."""
    lines = [
        BEGIN,
        "## Where we stand",
        "",
        "The current figure of every write-path benchmark, each beside the raw baseline",
        "measured in the same run; rewritten by `python scripts/bench_all.py` (1M rows:",
        "`--million`). The sections below are the history of how we got here.",
        "",
        "| figure | measured | raw, same run | ratio | target | detail | when, commit | command |",
        "| --- | ---: | ---: | ---: | --- | --- | --- | --- |",
    ]
    for key, f in figures.items():
        value, unit, raw = float(f["value"]), str(f["unit"]), f.get("raw")
        raw_text = _amount(float(raw), unit) if raw else "-"
        ratio = f"**{value / float(raw):.0%}**" if raw else "-"
        lines.append(
            f"| {key} | {_amount(value, unit)} | {raw_text} | {ratio} | {f.get('target') or '-'} "
            f"| {f.get('detail') or '-'} | {f['date']}, {f['commit']} | `{f['command']}` |"
        )
    machines = "; ".join(sorted({str(f.get("machine")) for f in figures.values()}))
    lines += ["", f"Measured on: {machines}.", END]
    return "\n".join(lines)


def rewrite(figures: dict[str, dict[str, Any]]) -> None:
    """Writes the figures file and the table at the top of docs/performance.md."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = PERFORMANCE.read_text(encoding="utf-8")
    block = table(figures)
    if BEGIN in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:  # first run: under the title and its paragraph
        title, _, body = text.partition("\n\n")
        intro, _, history = body.partition("\n\n")
        text = f"{title}\n\n{intro}\n\n{block}\n\n{history}"
    PERFORMANCE.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true",
                        help="run each benchmark at its 1M size instead of 10k (hours)")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES],
                        help="these benchmarks only")
    parser.add_argument("--work", type=Path, default=None,
                        help="where books are kept between runs (default: a temporary folder)")
    parser.add_argument("--no-docs", action="store_true",
                        help="print the figures; leave docs/performance.md as it is")
    parser.add_argument("--table-only", action="store_true",
                        help="run nothing: rewrite the table from docs/bench/figures.json")
    args = parser.parse_args()
    if args.table_only:
        rewrite(json.loads(FIGURES.read_text(encoding="utf-8")))
        return
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    figures: dict[str, dict[str, Any]] = (
        json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    )
    machine = (f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}")
    stamp = {"date": datetime.date.today().isoformat(), "commit": commit(), "machine": machine}
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        failed = []
        for bench in chosen:
            arguments = bench.large if args.million else bench.small
            if arguments is None:
                continue
            figures_file = work / f"{bench.name}.figures.jsonl"
            figures_file.unlink(missing_ok=True)
            try:
                command = run(bench, arguments, work, figures_file)
            except RuntimeError as exc:  # the others still run; the table keeps the old row
                print(f"!! {bench.name}: {exc}", file=sys.stderr)
                failed.append(bench.name)
                continue
            lines = figures_file.read_text(encoding="utf-8").splitlines()
            for line in lines:
                found = json.loads(line)
                figures[found.pop("key")] = {**found, **stamp, "command": command}
    for key, f in figures.items():
        print(f"{key}: {_amount(float(f['value']), str(f['unit']))}")
    if not args.no_docs:
        rewrite(figures)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
