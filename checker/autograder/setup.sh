#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: it installs Rust
# where cargo is missing, then builds the checker and every dependency a submission's build
# reuses. AUTOGRADER_ROOT (default /autograder) lets the same steps run anywhere else.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
profile=${PIPES_LAB_PROFILE:-release}
workbook="$root/source/pipes-lab"

if ! command -v cargo > /dev/null && [ -f "$HOME/.cargo/env" ]; then
  # shellcheck source=/dev/null
  . "$HOME/.cargo/env"
fi
if ! command -v cargo > /dev/null; then
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl build-essential
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck source=/dev/null
  . "$HOME/.cargo/env"
fi

cd "$workbook"
cargo build --profile "$profile" -p checker
# Checking the untouched exercises once builds the dependencies that every submission's
# build then reuses; they are all "not started", so its exit status of 1 is expected.
cargo run --profile "$profile" -q -p checker -- --exercises exercises > /dev/null || true
# The submissions' programs run as the user nobody, who must be able to reach them.
dir="$workbook"
while [ "$dir" != / ]; do
  chmod o+x "$dir"
  dir=$(dirname "$dir")
done
