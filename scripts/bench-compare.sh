#!/usr/bin/env bash
# Compares this working tree's services with BASE_REF's in one benchmark run (issue 19): builds BASE_REF in a
# temporary git worktree (its own CARGO_TARGET_DIR under target/bench-baseline/, kept, so the next build is
# incremental; a build of the same commit is reused), builds the working tree as it is (uncommitted changes
# included), then runs
#   bench --bin-dir target/release --baseline-bin-dir target/bench-baseline/<commit> [bench args]
# which prints the side-by-side table (and writes it with --json FILE). See BENCHMARKS.md, "Comparing two builds".
#
# Usage: scripts/bench-compare.sh [BASE_REF] [-- BENCH_ARGS...]
#   BASE_REF    a commit, branch or tag (default: main, or origin/main where there is no local main)
#   BENCH_ARGS  passed to bench; without --phases, `--phases ceilings,ingress,pipeline` (the compared phases and
#               the ceilings they are read against)
# Example: scripts/bench-compare.sh main -- --phases pipeline --json target/bench-compare.json
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

root=$(git rev-parse --show-toplevel)
cd "$root"

base_ref=""
if [[ $# -gt 0 && $1 != -- ]]; then
  case $1 in
    -h | --help) usage 0 ;;
    -*) echo "bench-compare: bench arguments go after --" >&2; usage ;;
  esac
  base_ref=$1
  shift
fi
if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || usage
  shift
fi
if [[ -z $base_ref ]]; then
  if git rev-parse --verify --quiet main^{commit} >/dev/null; then base_ref=main; else base_ref=origin/main; fi
fi
commit=$(git rev-parse --verify --quiet "$base_ref^{commit}") || {
  echo "bench-compare: $base_ref is not a commit here" >&2
  exit 2
}

target=${CARGO_TARGET_DIR:-$root/target}
baseline=$target/bench-baseline
bin_dir=$baseline/$commit
services=(ingress worker dispatcher)

have_baseline() {
  local service
  for service in "${services[@]}"; do [[ -x $bin_dir/$service ]] || return 1; done
}

if have_baseline; then
  echo "bench-compare: baseline $base_ref ($(git log -1 --format='%h %s' "$commit")): reusing $bin_dir" >&2
else
  echo "bench-compare: building baseline $base_ref ($(git log -1 --format='%h %s' "$commit"))" >&2
  mkdir -p "$baseline"
  worktree=$baseline/worktree
  # A worktree left by an interrupted run is replaced.
  git worktree remove --force "$worktree" 2>/dev/null || rm -rf "$worktree"
  git worktree prune
  trap 'git -C "$root" worktree remove --force "$worktree" 2>/dev/null || true' EXIT
  git worktree add --detach --quiet "$worktree" "$commit"
  # The first baseline build starts from the working tree's release artifacts: the registry dependencies are
  # the same files, so only the workspace's own crates compile.
  if [[ ! -d $baseline/cargo-target/release && -d $target/release ]]; then
    echo "bench-compare: seeding $baseline/cargo-target from $target/release" >&2
    mkdir -p "$baseline/cargo-target"
    cp -a --reflink=auto "$target/release" "$baseline/cargo-target/release"
  fi
  (cd "$worktree" && CARGO_TARGET_DIR=$baseline/cargo-target cargo build --release --locked \
    -p ingress -p worker -p dispatcher)
  # Only the newest baseline's binaries are kept (the cargo target directory keeps the rest incremental).
  find "$baseline" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{40}' \
    -exec rm -rf {} +
  mkdir -p "$bin_dir.tmp"
  for service in "${services[@]}"; do
    cp "$baseline/cargo-target/release/$service" "$bin_dir.tmp/"
  done
  mv "$bin_dir.tmp" "$bin_dir"
  git worktree remove --force "$worktree"
  trap - EXIT
fi

echo "bench-compare: building the candidate (working tree at $(git log -1 --format='%h %s' HEAD)$(
  git diff --quiet HEAD -- && echo "" || echo ", with uncommitted changes"))" >&2
# The services exactly as the baseline's were built (features are unified over the packages of one cargo
# invocation, so building them together with bench could give them other features), then bench.
cargo build --release --locked -p ingress -p worker -p dispatcher
cargo build --release --locked -p bench

args=("$@")
phases_given=false
for arg in "${args[@]}"; do
  [[ $arg == --phases || $arg == --phases=* ]] && phases_given=true
done
$phases_given || args=(--phases ceilings,ingress,pipeline "${args[@]}")

set -x
exec "$target/release/bench" --no-build --bin-dir "$target/release" --baseline-bin-dir "$bin_dir" "${args[@]}"
