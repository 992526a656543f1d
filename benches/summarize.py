#!/usr/bin/env python3
"""Turns the output of one or more runs of the dispatch benchmark into the
tables of BENCHMARKS.md.

    cargo bench -p signals-benches --bench dispatch > run1.txt
    python3 benches/summarize.py run1.txt [run2.txt ...]

For each run it reads divan's median of every row, and computes the ratios
the targets are stated in, from that run alone (the machine is shared, so
only numbers measured in one run are compared). With several runs it prints
each run's ratios and their median and range across runs.
"""

import re
import statistics
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}

SYNC_GROUPS = [
    "receivers_00",
    "receivers_01",
    "receivers_08",
    "receivers_64",
    "static_8_dynamic_2",
    "static_8_dynamic_2_x2",
]
SYNC_ROWS = ["direct", "linkme_slice", "rwlock_registry", "signals2", "send", "send_robust"]
ASYNC_GROUPS = ["async_sync_only_8", "async_8"]
ASYNC_ROWS = ["direct", "send_async", "send_robust_async"]


def parse(path):
    """{(group, row): {"median": ns, "allocs": n}} from divan's tree output.

    A benchmark run on several thread counts has a child row per count
    ("t=2"); its rows go to the group "<group>_x<count>" (t=1 stays in the
    group itself)."""
    rows = {}
    stack = []
    last = None
    section = None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            match = re.match(r"^([│ ]*)[├╰]─ (\S+)\s+(.*)$", line)
            if match:
                indent, name, rest = match.groups()
                depth = len(indent) // 3
                del stack[depth:]
                stack.append(name)
                cells = [c.strip() for c in rest.split("│")]
                if not cells[0]:
                    continue
                group, row = stack[0], stack[1]
                threads = re.fullmatch(r"t=(\d+)", name)
                if threads and threads.group(1) != "1":
                    group = f"{group}_x{threads.group(1)}"
                value, unit = cells[2].split()
                last = (group, row)
                rows[last] = {"median": float(value) * UNITS[unit], "allocs": 0.0}
                section = None
                continue
            # AllocProfiler rows: a label line ("alloc:"), then count, then bytes.
            label = re.match(r"^[│ ]*(max alloc|alloc|dealloc|grow|shrink):", line)
            if label:
                section = label.group(1)
                continue
            if section == "alloc" and last is not None:
                cells = [c.strip() for c in re.sub(r"^[│ ]*", "", line).split("│")]
                if len(cells) > 2 and cells[2] and not cells[2].endswith("B"):
                    rows[last]["allocs"] = float(cells[2])
                    section = None
    return rows


def ratio(rows, a, b):
    if a in rows and b in rows and rows[b]["median"] > 0:
        return rows[a]["median"] / rows[b]["median"]
    return None


def targets(rows):
    """The ratios the issue's targets are stated in, for one run."""
    out = {}
    for n in ["08", "64"]:
        out[f"send / linkme_slice @{n}"] = ratio(rows, (f"receivers_{n}", "send"), (f"receivers_{n}", "linkme_slice"))
    for group in SYNC_GROUPS:
        out[f"send / signals2 @{group}"] = ratio(rows, (group, "send"), (group, "signals2"))
        out[f"send / rwlock_registry @{group}"] = ratio(rows, (group, "send"), (group, "rwlock_registry"))
        out[f"send_robust / send @{group}"] = ratio(rows, (group, "send_robust"), (group, "send"))
    return out


def fmt(ns):
    return "—" if ns is None else (f"{ns:.2f}" if ns < 100 else f"{ns:.0f}")


def table(rows, groups, columns):
    head = "| receivers | " + " | ".join(columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    for group in groups:
        cells = [fmt(rows.get((group, c), {}).get("median")) for c in columns]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def allocs(rows):
    lines = ["| row | allocations per iteration (median) |", "|---|---|"]
    for (group, name), row in rows.items():
        if name.startswith("send"):
            lines.append(f"| {group}::{name} | {row['allocs']:g} |")
    return "\n".join(lines)


def main(paths):
    runs = [parse(p) for p in paths]
    for path, rows in zip(paths, runs):
        print(f"## {path}: medians in ns\n")
        print(table(rows, SYNC_GROUPS, SYNC_ROWS))
        print()
        print(table(rows, ASYNC_GROUPS, ASYNC_ROWS))
        print()
        print(allocs(rows))
        print()
    print("## Target ratios (each from one run)\n")
    per_run = [targets(rows) for rows in runs]
    names = list(per_run[0])
    header = "| ratio | " + " | ".join(f"run {i + 1}" for i in range(len(runs)))
    if len(runs) > 1:
        header += " | median | min | max"
    print(header + " |")
    print("|" + "---|" * (len(runs) + 1 + (3 if len(runs) > 1 else 0)))
    for name in names:
        values = [r[name] for r in per_run]
        cells = ["—" if v is None else f"{v:.2f}" for v in values]
        known = [v for v in values if v is not None]
        if len(runs) > 1 and known:
            cells += [f"{statistics.median(known):.2f}", f"{min(known):.2f}", f"{max(known):.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
