-- wrk script for the payment-webhook benchmark (money_bench.py): POSTs pre-signed gateway webhooks, a
-- different one per request, and prints the same BENCH_RESULT line as wrk_report.lua plus the outcomes.
--
-- Environment (read by every wrk thread):
--   BENCH_WEBHOOKS_FILE  one webhook per line: "<hex HMAC-SHA256 signature> <JSON body>" (required)
--   BENCH_THREADS        the number of wrk threads (-t): thread k sends lines k, k + T, k + 2T, … in order
--
-- The bodies are signed by money_bench.py (Python's hmac, with the tenant's webhook secret) before the
-- run: wrk's LuaJIT has no HMAC, and signing in the load generator would only move CPU onto the cores
-- the server shares. Every line carries its own gateway payment id, except the deliberate duplicates
-- the file may contain (a repeated line is a gateway re-delivering the same event). A thread that runs
-- out of lines starts again at its first one (its answers are then "duplicate"; the script counts them).
-- Outcomes are read from each 200 answer's JSON ("applied", "duplicate", "unmatched", …).

local path = os.getenv("BENCH_WEBHOOKS_FILE")
local total_threads = tonumber(os.getenv("BENCH_THREADS") or "1")
local next_id = 0
local threads = {}

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
   thread:set("thread_index", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   outcomes = {}
   wrapped = 0
   requests_made = {}
   local fh = assert(io.open(path, "rb"), "BENCH_WEBHOOKS_FILE not readable: " .. tostring(path))
   local n = 0
   for line in fh:lines() do
      if n % total_threads == thread_index then
         local sig, body = line:match("^(%x+) (.+)$")
         table.insert(requests_made, wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Gateway-Signature"] = sig}, body))
      end
      n = n + 1
   end
   fh:close()
   position = 0
end

function request()
   position = position + 1
   if position > #requests_made then
      position = 1
      wrapped = wrapped + 1
   end
   return requests_made[position]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 200 then
      local outcome = body:match('"outcome"%s*:%s*"(%w+)"') or "?"
      outcomes[outcome] = (outcomes[outcome] or 0) + 1
   end
end

local function merge(name)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get(name)
      if counts then
         for k, n in pairs(counts) do
            merged[k] = (merged[k] or 0) + n
         end
      end
   end
   return merged
end

local function json_map(map, fmt)
   local parts = {}
   for k, n in pairs(map) do
      table.insert(parts, string.format(fmt, k, n))
   end
   return table.concat(parts, ",")
end

function done(summary, latency, requests)
   local sent = 0
   local wraps = 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("position") or 0)
      wraps = wraps + (thread:get("wrapped") or 0)
   end
   local pct = {}
   for _, p in ipairs({50, 75, 90, 99, 99.9}) do
      table.insert(pct, string.format('"p%s":%d', tostring(p), latency:percentile(p)))
   end
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"status":{%s},"outcomes":{%s},'
         .. '"last_position":%d,"wrapped":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{%s,"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes, json_map(merge("statuses"), '"%d":%d'),
      json_map(merge("outcomes"), '"%s":%d'), sent, wraps,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
      summary.errors.timeout, table.concat(pct, ","), latency.min, latency.max, latency.mean, latency.stdev))
end
