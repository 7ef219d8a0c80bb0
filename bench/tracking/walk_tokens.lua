-- wrk script for bench/tracking/run.py: every request is a distinct tracking URL.
--
-- $TOKENS names a file of request paths (/t/o/TOKEN, /t/c/TOKEN), one per line, and
-- $WRK_THREADS the number of wrk threads. Thread i takes every line whose index is i
-- modulo the thread count, so no path is requested twice. Once a thread has sent its
-- share it asks for /healthz (records nothing) until every tracking response is in;
-- then it prints "done" and stops. run.py interrupts wrk when all threads are done,
-- and done() prints one JSON line of counts.

local threads = {}
local created = 0

function setup(thread)
   thread:set("id", created)
   created = created + 1
   table.insert(threads, thread)
end

function init(args)
   local total = tonumber(os.getenv("WRK_THREADS"))
   paths = {}
   local index = 0
   for line in io.lines(os.getenv("TOKENS")) do
      if index % total == id then
         paths[#paths + 1] = line
      end
      index = index + 1
   end
   next_path = 1
   sent = 0
   answered = 0
   failed = 0
   finished = false
   primed = false
end

function request()
   if not primed then
      -- wrk 4.1 calls request() once per thread and throws that request away: a
      -- token path spent there would never be sent.
      primed = true
      return wrk.format("GET", "/healthz")
   end
   if next_path <= #paths then
      local path = paths[next_path]
      next_path = next_path + 1
      sent = sent + 1
      return wrk.format("GET", path)
   end
   return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
   local kind = headers["content-type"] or headers["Content-Type"]
   if status == 200 and kind ~= "image/gif" then
      return -- /healthz
   end
   answered = answered + 1
   if status ~= 200 and status ~= 302 then
      failed = failed + 1
   end
   if not finished and answered >= #paths then
      finished = true
      io.write("done\n")
      io.flush()
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local total_sent, total_answered, total_failed = 0, 0, 0
   for _, thread in ipairs(threads) do
      total_sent = total_sent + thread:get("sent")
      total_answered = total_answered + thread:get("answered")
      total_failed = total_failed + thread:get("failed")
   end
   io.write(string.format(
      '{"sent": %d, "answered": %d, "failed": %d, "socket_errors": %d, "p50_ms": %.2f, "p99_ms": %.2f}\n',
      total_sent, total_answered, total_failed,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
