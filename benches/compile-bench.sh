#!/usr/bin/env bash
# Compile-time benchmark: 100 signals and 1,000 receivers written with
# #[signal]/#[receiver], against the same registrations written by hand with
# plain linkme; plus signals-macros' own build beside linkme-impl's.
#
#   benches/compile-bench.sh [out dir] [runs]     (defaults: /tmp/compile-bench 5)
#
# Needs hyperfine (apt-get install hyperfine). Writes the two crates outside
# the repository, times each case with hyperfine (medians, several runs),
# and prints a Markdown table. Every case builds the dev profile, as the edit
# and rebuild loop does.
set -euo pipefail

out=${1:-/tmp/compile-bench}
runs=${2:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)

# The generated crates use their own target directories.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR

cargo run -q --manifest-path "$repo/Cargo.toml" -p signals-benches --bin gen-compile-bench -- "$out"
for flavour in signals plain; do
    (cd "$out/$flavour" && cargo build -q)
done

json="$out/results"
mkdir -p "$json"

# bench NAME DIR PREPARE COMMAND
bench() {
    hyperfine --runs "$runs" --warmup 1 --show-output \
        --prepare "cd $2 && $3" --export-json "$json/$1.json" \
        -n "$1" "cd $2 && $4" >"$json/$1.log" 2>&1 || { cat "$json/$1.log"; exit 1; }
}

# An edit of one receiver's body: a new constant each run. A script, since
# hyperfine runs --prepare with sh.
cat >"$out/edit-one-receiver.sh" <<'EDIT'
#!/bin/sh
sed -i -E "0,/event.value \+ [0-9]+/s//event.value + 1$(date +%N)/" src/s050.rs
EDIT
chmod +x "$out/edit-one-receiver.sh"
edit() {
    echo "$out/edit-one-receiver.sh"
}

for flavour in signals plain; do
    dir="$out/$flavour"
    crate="compile-bench-$flavour"
    bench "$flavour-clean-with-deps" "$dir" "cargo clean -q" "cargo build -q"
    bench "$flavour-clean-crate" "$dir" "cargo clean -q -p $crate" "cargo build -q"
    bench "$flavour-incremental" "$dir" "$(edit)" "cargo build -q"
done

# The macro crates alone, with their own dependencies (syn and friends).
bench "signals-macros-with-deps" "$out/signals" "cargo clean -q" "cargo build -q -p signals-macros"
bench "linkme-impl-with-deps" "$out/plain" "cargo clean -q" "cargo build -q -p linkme-impl"
bench "signals-macros-alone" "$out/signals" "cargo build -q -p signals-macros && cargo clean -q -p signals-macros" "cargo build -q -p signals-macros"
bench "linkme-impl-alone" "$out/plain" "cargo build -q -p linkme-impl && cargo clean -q -p linkme-impl" "cargo build -q -p linkme-impl"

# Leave both crates built, for whoever looks next.
for flavour in signals plain; do
    (cd "$out/$flavour" && cargo build -q)
done

python3 - "$json" <<'EOF'
import json, os, statistics, sys
d = sys.argv[1]
def median(name):
    with open(os.path.join(d, name + ".json")) as f:
        times = json.load(f)["results"][0]["times"]
    return statistics.median(times), min(times), max(times)
print("| case | signals (s) | plain linkme (s) | ratio |")
print("|---|---|---|---|")
for case, label in [("clean-with-deps", "clean build, dependencies included"),
                    ("clean-crate", "clean build of the crate (dependencies built)"),
                    ("incremental", "rebuild after editing one receiver")]:
    s, p = median("signals-" + case), median("plain-" + case)
    print(f"| {label} | {s[0]:.2f} ({s[1]:.2f}-{s[2]:.2f}) | {p[0]:.2f} ({p[1]:.2f}-{p[2]:.2f}) | {s[0] / p[0]:.2f} |")
print()
print("| macro crate | with its dependencies (s) | alone (s) |")
print("|---|---|---|")
for name in ["signals-macros", "linkme-impl"]:
    w, a = median(name + "-with-deps"), median(name + "-alone")
    print(f"| {name} | {w[0]:.2f} ({w[1]:.2f}-{w[2]:.2f}) | {a[0]:.2f} ({a[1]:.2f}-{a[2]:.2f}) |")
EOF
