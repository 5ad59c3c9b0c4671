#!/usr/bin/env bash
# Bounded libFuzzer runs of the fuzz targets, one after the other (FUZZ_TARGETS, default both):
#   webhook    (fuzz/fuzz_targets/webhook.rs): signature verification, the JSON nesting bound, parsing,
#              validation and the event identity, seeded with the Chatwoot fixtures;
#   http_head  (fuzz/fuzz_targets/http_head.rs): the serving loop's reading of a first request before hyper.
#   ./scripts/fuzz.sh [seconds]        default 45 (FUZZ_SECONDS) per target; 0 skips
#   FUZZ_RUNS=10000000 FUZZ_PROFILE=release ./scripts/fuzz.sh 7200
#                                      stops after that many executions (or the time bound, whichever first)
# Works on the stable toolchain: `--sanitizer none`, because stable rustc has no -Zsanitizer (our crates forbid
# unsafe code, so the coverage-guided search and the target's assertions are what matter). With a nightly
# toolchain, run `cargo +nightly fuzz run webhook` for AddressSanitizer as well.
# cargo-fuzz is installed once into target/tools/cargo-fuzz (skipped when present or already on PATH); the
# instrumented build lives in target/fuzz and the corpus libFuzzer grows in target/fuzz/corpus/<target>, so both
# are cached with target/. The committed seeds in fuzz/corpus/<target> are never written to.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
seconds="${1:-${FUZZ_SECONDS:-45}}"
[ "$seconds" -gt 0 ] || exit 0

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  tools="$root/target/tools/cargo-fuzz"
  if [ ! -x "$tools/bin/cargo-fuzz" ]; then
    echo "[fuzz] installing cargo-fuzz into $tools" >&2
    cargo install --locked --quiet --root "$tools" cargo-fuzz
  fi
  export PATH="$tools/bin:$PATH"
fi

# libFuzzer writes new inputs only to the first corpus directory (target/fuzz/corpus/<target>); the committed
# seeds (fuzz/corpus/<target>) and, for the webhook target, the repository's Chatwoot fixtures are read, never
# written.
# The bounded run in the test suite builds unoptimised (`--dev`): compiling the dependency tree with coverage
# instrumentation in release mode costs minutes on 2 cores, more than 45 s of slower fuzzing loses. Long runs
# (FUZZ_PROFILE=release) build optimised.
profile_flag="--dev"
[ "${FUZZ_PROFILE:-}" = "release" ] && profile_flag="--release"
[ "${FUZZ_PROFILE:-}" = "" ] && [ "$seconds" -gt 300 ] && profile_flag="--release"
runs_flag=()
[ -n "${FUZZ_RUNS:-}" ] && runs_flag=("-runs=${FUZZ_RUNS}")

for target in ${FUZZ_TARGETS:-webhook http_head}; do
  corpus="$root/target/fuzz/corpus/$target"
  mkdir -p "$corpus"
  inputs=("$corpus" "$root/fuzz/corpus/$target")
  [ "$target" = webhook ] && inputs+=("$root/fixtures/chatwoot")
  echo "[fuzz] $target target for ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS executions}" >&2
  cargo fuzz run "$profile_flag" --fuzz-dir "$root/fuzz" --sanitizer none --target-dir "$root/target/fuzz" \
    "$target" "${inputs[@]}" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${runs_flag[@]}"
done
