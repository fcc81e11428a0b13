#!/usr/bin/env bash
# Reproduces the README's Biome vs ESLint + Prettier figures: the same source tree
# (packages/core), three timed runs of each, wall time and peak memory (GNU time).
#
#   bash scripts/compare-linters.sh
#
# ESLint (typescript-eslint's recommended rules) and Prettier are installed into a temporary
# directory, not into the workspace.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund eslint@9.39.5 typescript-eslint@8.74.0 typescript@5.9.3 prettier@3.10.1 >/dev/null
cat > eslint.config.mjs <<'CONFIG'
import tseslint from 'typescript-eslint';
export default tseslint.config(...tseslint.configs.recommended);
CONFIG
cp -r "$root/packages/core/src" "$root/packages/core/test" .
lines=$(cat src/*.ts test/*.ts | wc -l)
echo "packages/core: $lines lines of TypeScript"
measure() {
  local name=$1
  shift
  for run in 1 2 3; do
    # Findings make a linter exit non-zero; that is a result, not a failure of the measurement.
    /usr/bin/time -f "$name run $run: %e s, %M KB peak, exit %x" "$@" >/dev/null 2>"$tmp/err" || true
    tail -n 1 "$tmp/err"
  done
}
# Biome with the repository's own configuration, in place (its VCS integration wants the files
# under the repository); ESLint and Prettier on the copies, with their own configurations.
(cd "$root" && measure "biome check" node_modules/.bin/biome check packages/core/src packages/core/test)
measure "eslint" npx --no-install eslint src test
measure "prettier --check" npx --no-install prettier --check src test
