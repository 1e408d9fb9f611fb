-- wrk script of deploy/loadtest/throughput: sends the configured request and prints one line
--   WRK_JSON {"requests": ..., "duration_us": ..., "latency_us": {...}, "statuses": {...}, ...}
-- at the end. Per-status counts are kept per thread (a `response` callback) unless
-- LT_COUNT_STATUSES=0, which leaves wrk's faster path and reports only non-2xx/3xx responses.
-- LT_ASYNC=1 sends `X-Faas-Async: true` (durable async invocations, answered 202).

wrk.method = os.getenv("LT_METHOD") or "POST"
wrk.body = os.getenv("LT_BODY") or ""
wrk.headers["Content-Type"] = "application/octet-stream"
if os.getenv("LT_ASYNC") == "1" then
    wrk.headers["X-Faas-Async"] = "true"
end
local token = os.getenv("LT_TOKEN")
if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}
local count_statuses = os.getenv("LT_COUNT_STATUSES") ~= "0"

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
end

if count_statuses then
    function response(status, headers, body)
        statuses[status] = (statuses[status] or 0) + 1
    end
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        local per_thread = thread:get("statuses") or {}
        for status, n in pairs(per_thread) do
            counts[status] = (counts[status] or 0) + n
        end
    end
    local parts = {}
    for status, n in pairs(counts) do
        table.insert(parts, string.format('"%d": %d', status, n))
    end
    local e = summary.errors
    io.write(string.format(
        'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f, "stdev": %.1f}, ' ..
        '"statuses": {%s}, "counted_statuses": %s, ' ..
        '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "non_2xx_3xx": %d}\n',
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, latency.stdev,
        table.concat(parts, ", "), tostring(count_statuses),
        e.connect, e.read, e.write, e.timeout, e.status))
end
