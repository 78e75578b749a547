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
end

function request()
  -- After the last distinct activity, repeat it until its answer is back:
  -- the server answers repeats as duplicates without storing anything.
  sent = math.min(sent + 1, #requests)
  return requests[sent]
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #requests then
    wrk.thread:stop()
  end
end
