#!/usr/bin/env bash
# Renames the module for a new service: scripts/rename.sh github.com/you/orders
# Rewrites the module path in the three go.mod files (the service, e2e/ and
# tools/) and every import of it, then the name the image and the compose
# project carry (the path's last element: for github.com/you/orders, orders:dev).
set -euo pipefail
cd "$(dirname "$0")/.."
new=${1:?usage: scripts/rename.sh NEW_MODULE_PATH}
old=$(go list -m)
case "$new" in *[!A-Za-z0-9._~/-]*|"") echo "rename: $new is not a module path" >&2; exit 2;; esac
git ls-files -co --exclude-standard -- '*.go' '*go.mod' Makefile Dockerfile '*.yml' '*.yaml' '*.md' 2>/dev/null \
  | xargs -r grep -l --fixed-strings "$old" \
  | xargs -r sed -i "s#${old//./\\.}#$new#g"
# Docker names take lowercase letters, digits, '_' and '-' only.
old_name=${old##*/}
new_name=$(tr 'A-Z' 'a-z' <<<"${new##*/}" | tr -c 'a-z0-9_\n-' '-')
git ls-files -co --exclude-standard -- '*.go' Makefile Dockerfile '*.yml' '*.yaml' '*.md' 2>/dev/null \
  | xargs -r grep -lw --fixed-strings "$old_name" \
  | xargs -r sed -i "s#\\b$old_name\\b#$new_name#g"
gofmt -l . | xargs -r gofmt -w # Import groups sort by path, so a new path may move lines.
echo "module renamed from $old to $new; image and compose project: $new_name"
