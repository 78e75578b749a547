-- wrk script for bench/federation_fanout.py: replays pre-signed inbound
-- activities, each exactly once, then stops. Arguments: the TSV file
-- (date, digest, signature, body per line) and the number of wrk threads.
local next_id = 0

function setup(thread)
  thread:set("thread_index", next_id)
  next_id = next_id + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  requests, sent, answered = {}, 0, 0
  local line_number = 0
  for line in io.lines(file) do
    if line_number % threads == thread_index then
      local date, digest, signature, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/inbox", {
        ["Date"] = date,
        ["Digest"] = digest,
        ["Signature"] = signature,
        ["Content-Type"] = "application/activity+json",
      }, body)
    end
    line_number = line_number + 1
  end
  -- wrk calls request() once on thread 0 to check the script's request before
  -- any is sent; give it a copy of the first so no activity is lost to that.
  if thread_index == 0 and #requests > 0 then
    table.insert(requests, 1, requests[1])
  end
end

function request()
  -- After the last distinct activity, repeat it (answered as a duplicate)
  -- until the benchmark, watching the database, stops wrk.
  sent = math.min(sent + 1, #requests)
  return requests[sent]
end
