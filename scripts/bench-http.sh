#!/usr/bin/env bash
# Measures GET /headers through the service's full middleware stack (request
# logging on) next to a bare net/http handler returning the same body, in one
# run over loopback, and prints both throughputs and their ratio.
# BENCH_DURATION (default 5s) sets each measured round; rounds alternate.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${BENCH_DURATION:-5s}
conns=${BENCH_CONNS:-32}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/api" ./cmd/api
go -C e2e build -o "$tmp/loadgen" ./cmd/loadgen

# With two or more cores, the servers get one core and the load generator
# another, so the figures compare server CPU cost rather than scheduling luck.
server_cpu=() load_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) load_cpu=(taskset -c 1)
fi

HTTP_ADDR=127.0.0.1:18080 LOG_FORMAT=json LOG_LEVEL=${BENCH_LOG_LEVEL:-info} "${server_cpu[@]}" "$tmp/api" >"$tmp/api.log" 2>&1 &
pids+=($!)
"${server_cpu[@]}" "$tmp/loadgen" -serve-bare 127.0.0.1:18081 &
pids+=($!)
for port in 18080 18081; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/headers" && break; sleep 0.1; done
done

load() { "${load_cpu[@]}" "$tmp/loadgen" -c "$conns" -d "$2" -label "$1" -url "http://127.0.0.1:$3/headers"; }
load warmup-full 1s 18080 >/dev/null
load warmup-bare 1s 18081 >/dev/null

echo "GET /headers, $conns connections, $dur per round"
for round in 1 2; do
  load full-stack "$dur" 18080
  load bare "$dur" 18081
done | tee "$tmp/rounds"
awk -v lines="$(wc -l <"$tmp/api.log")" '
  $1 == "full-stack" { full += $2 } $1 == "bare" { bare += $2 }
  END { printf "full stack %.0f req/s, bare net/http %.0f req/s, ratio %.1f%% (target >= 85%%); the service logged %d lines\n",
        full / 2, bare / 2, 100 * full / bare, lines }' "$tmp/rounds"
