#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each one for a while; fails on any crash.
#
#   scripts/fuzz.sh [SECONDS]         # seconds per target: arg, else $FUZZ_SECONDS, else 20
#   FUZZ_TARGETS="promql storeapi" scripts/fuzz.sh 600   # only these targets
#
# One line per target: "fuzz: <target>: <s> s, <n> execs, ok" (or CRASH with the input).
# Toolchain: `cargo +nightly fuzz` when a nightly toolchain is installed, else the stable
# toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only flags). cargo-fuzz is
# installed into ~/.cache/mnemos-tools when missing. Fuzz builds use their own target dir
# (sanitizer and coverage flags differ from the workspace's). Sanitizer: none by default
# (build speed; the targets check decoders against each other instead), FUZZ_SANITIZER=address
# for AddressSanitizer. Seeds: fuzz/corpus/<target>/ (read only: new inputs go to a temporary
# directory) and fuzz/regressions/<target>/ when present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds="${1:-${FUZZ_SECONDS:-20}}"
sanitizer="${FUZZ_SANITIZER:-none}"
tools="${MNEMOS_TOOLS_DIR:-$HOME/.cache/mnemos-tools}"
export PATH="$tools/bin:$PATH"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/mnemos-fuzz-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz (into $tools)"
  cargo install cargo-fuzz --locked --root "$tools"
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  cargo=(cargo +nightly)
  toolchain=nightly
else
  cargo=(cargo)
  toolchain="stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
fi

cd fuzz
flags=(-O -a -s "$sanitizer")
echo "==> cargo fuzz build (${toolchain}, sanitizer ${sanitizer})"
"${cargo[@]}" fuzz build "${flags[@]}"

targets="${FUZZ_TARGETS:-$("${cargo[@]}" fuzz list)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for target in $targets; do
  mkdir -p "$work/$target" "$root/fuzz/artifacts/$target"
  seeds=("corpus/$target")
  [ -d "regressions/$target" ] && seeds+=("regressions/$target")
  log="$work/$target.log"
  set +e
  "${cargo[@]}" fuzz run "${flags[@]}" "$target" "$work/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$root/fuzz/artifacts/$target/" >"$log" 2>&1
  status=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ { n = $NF } END { print n + 0 }' "$log")
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $target: ${seconds} s, ${execs} execs, ok"
  else
    failed=1
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz: $target: ${seconds} s, ${execs} execs, CRASH (exit $status) input: ${input:-none written}"
    grep -m1 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/  /' || true
    cp "$log" "$root/fuzz/artifacts/$target/last-run.log"
  fi
done
exit "$failed"
