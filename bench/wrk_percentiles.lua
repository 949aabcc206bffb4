-- Printed by wrk after a run: the figures bench/run.py reads (latencies in microseconds).
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("REQUESTS %d\nDURATION_US %d\nERRORS %d\n", summary.requests, summary.duration, errors))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("P%d %d\n", p, latency:percentile(p)))
  end
end
