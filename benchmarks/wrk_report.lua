-- wrk script for the CreditDesk benchmarks: POSTs one JSON body and prints a machine-readable summary.
--
-- Environment (read by every wrk thread):
--   BENCH_BODY_FILE  path of the JSON request body (required)
--   BENCH_API_KEY    sent as X-API-Key when set
--
-- wrk's own summary lumps every non-2xx/3xx response together; this script counts responses by status
-- code in each thread (response() callback) and, when the run ends, prints one line
--   BENCH_RESULT {"requests":…, "duration_us":…, "status":{"201":…,"503":…}, "errors":{…}, "latency_us":{…}}
-- that benchmarks/harness.py parses. Latency percentiles cover every answered request (any status);
-- requests that hit wrk's --timeout are counted in errors.timeout and have no latency.

local body_file = os.getenv("BENCH_BODY_FILE")
local fh = assert(io.open(body_file, "rb"), "BENCH_BODY_FILE not readable: " .. tostring(body_file))
local body = fh:read("*a")
fh:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_API_KEY")
if key and key ~= "" then
   wrk.headers["X-API-Key"] = key
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses")
      if counts then
         for status, n in pairs(counts) do
            merged[status] = (merged[status] or 0) + n
         end
      end
   end
   local parts = {}
   for status, n in pairs(merged) do
      table.insert(parts, string.format('"%d":%d', status, n))
   end
   local pct = {}
   for _, p in ipairs({50, 75, 90, 99, 99.9}) do
      table.insert(pct, string.format('"p%s":%d', tostring(p), latency:percentile(p)))
   end
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"status":{%s},'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{%s,"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes, table.concat(parts, ","),
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
      summary.errors.timeout, table.concat(pct, ","), latency.min, latency.max, latency.mean, latency.stdev))
end
