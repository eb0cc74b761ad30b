#!/usr/bin/env bash
# Measures GET /headers through the service's full middleware stack (request
# logging and metrics on, as deployed) next to a bare net/http handler that
# answers the same body, side by side in one run, with wrk. Two more floors
# split the gap: bare+headers is the bare handler sending the service's
# response headers too (security headers, CORS's Vary, request id,
# X-Process-Time), bytes on the wire rather than code; bare+h+log adds the
# service's JSON request line through log/slog, buffered as the service's.
# Each server runs pinned to one core and wrk to the other; rounds
# alternate between them.
# For each round it prints req/s, p50 and p99 latency, the server's CPU per
# request (its utime+stime from /proc over the requests wrk counted) and
# wrk's own CPU use, which shows whether the generator was the bottleneck.
# Allocations per request come from BenchmarkHeaders, the same two handlers
# in process.
#
# BENCH_DURATION (default 5s) sets each round, BENCH_ROUNDS (default 3) the
# rounds per server, BENCH_CONNS (default 64) wrk's connections.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${BENCH_DURATION:-5s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-64}

if ! command -v wrk >/dev/null; then
  echo "bench-http: installing wrk (Debian's package)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else sudo apt-get install -y -qq wrk >/dev/null; fi
fi

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/api" ./cmd/api
go -C e2e build -o "$tmp/loadgen" ./cmd/loadgen

# With two or more cores, the servers get core 0 and wrk core 1, so the
# figures compare server CPU cost rather than scheduling luck.
server_cpu=() load_cpu=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 0) load_cpu=(taskset -c 1)
fi

# The service logs one JSON line per request to a file, as a deployment's
# log collector would read it from stdout.
HTTP_ADDR=127.0.0.1:18080 LOG_FORMAT=json LOG_LEVEL=${BENCH_LOG_LEVEL:-info} "${server_cpu[@]}" "$tmp/api" >"$tmp/api.log" 2>&1 &
pids+=($!) full_pid=$!
"${server_cpu[@]}" "$tmp/loadgen" -serve-bare 127.0.0.1:18081 &
pids+=($!) bare_pid=$!
for port in 18080 18081; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/headers" && break; sleep 0.1; done
done
"${server_cpu[@]}" "$tmp/loadgen" -serve-bare 127.0.0.1:18082 -headers-like http://127.0.0.1:18080/headers &
pids+=($!) headers_pid=$!
"${server_cpu[@]}" "$tmp/loadgen" -serve-bare 127.0.0.1:18083 -headers-like http://127.0.0.1:18080/headers -log "$tmp/bare.log" &
pids+=($!) logged_pid=$!
for port in 18082 18083; do
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/headers" && break; sleep 0.1; done
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# round LABEL PID PORT DURATION: one wrk run, one output line.
round() {
  local t0 t1 out
  t0=$(ticks "$2")
  TIMEFORMAT='%U %S %R'
  { time "${load_cpu[@]}" wrk -t1 -c"$conns" -d"$4" --latency "http://127.0.0.1:$3/headers" >"$tmp/wrk.out"; } 2>"$tmp/wrk.time"
  t1=$(ticks "$2")
  awk -v label="$1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v wrkcpu="$(cat "$tmp/wrk.time")" '
    / requests in / { reqs = $1 }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
    /Non-2xx|Socket errors/ { bad = bad " " $0 }
    END {
      split(wrkcpu, w, " ")
      printf "%-12s %9.0f req/s  p50 %-8s p99 %-8s server %5.1f us/req  wrk CPU %3.0f%% of a core%s\n",
        label, rps, p50, p99, (t1 - t0) / hz * 1e6 / reqs, 100 * (w[1] + w[2]) / w[3], bad
    }' "$tmp/wrk.out"
}
round warmup-full "$full_pid" 18080 1s >/dev/null
round warmup-bare "$bare_pid" 18081 1s >/dev/null
round warmup-headers "$headers_pid" 18082 1s >/dev/null
round warmup-logged "$logged_pid" 18083 1s >/dev/null

echo "GET /headers with wrk, $conns connections, $dur per round, servers on core 0, wrk on core 1"
for _ in $(seq "$rounds"); do
  round full-stack "$full_pid" 18080 "$dur"
  round bare "$bare_pid" 18081 "$dur"
  round bare+headers "$headers_pid" 18082 "$dur"
  round bare+h+log "$logged_pid" 18083 "$dur"
done | tee "$tmp/rounds"
awk -v lines="$(wc -l <"$tmp/api.log")" '
  function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v * 1000 }
  $1 == "full-stack" { full += $2; fp99 += ms($7); fcpu += $9; n++ }
  $1 == "bare" { bare += $2; bp99 += ms($7); bcpu += $9 }
  $1 == "bare+headers" { hdrs += $2; hcpu += $9 }
  $1 == "bare+h+log" { logged += $2; lcpu += $9 }
  END {
    printf "mean: full stack %.0f req/s, bare net/http %.0f req/s: %.1f%% (target >= 85%%); p99 %.2f ms vs %.2f ms: %.2fx (target <= 1.3x); the service logged %d lines\n",
      full / n, bare / n, 100 * full / bare, fp99 / n, bp99 / n, fp99 / bp99, lines
    printf "floors: bare+headers %.0f req/s (%.1f%% of bare), bare+headers+log line %.0f req/s (%.1f%% of bare)\n",
      hdrs / n, 100 * hdrs / bare, logged / n, 100 * logged / bare
    printf "server CPU per request: bare %.1f us, bare+headers %.1f us, bare+headers+log line %.1f us, full stack %.1f us\n",
      bcpu / n, hcpu / n, lcpu / n, fcpu / n
  }' "$tmp/rounds"
echo "allocations per request, in process (BenchmarkHeaders):"
go test -run '^$' -bench '^BenchmarkHeaders$' -benchmem ./internal/handlers | awk '/^BenchmarkHeaders/ { printf "  %-28s %s allocs/op, %s B/op\n", $1, $(NF-1), $(NF-3) }'
