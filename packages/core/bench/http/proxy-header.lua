-- wrk script of the HTTP bench: the same GET for every variant, with a PROXY header in front of
-- the first request of each connection for the PROXY variants.
--
--   wrk -t1 -c<N> -d<T> -s proxy-header.lua http://127.0.0.1:<port>/ -- <mode> <header-hex> <N>
--
-- mode: "close" (every request says Connection: close, so each one is a new connection) or
-- "keepalive". header-hex: the PROXY header as hex, "-" for none.
--
-- wrk 4.1 has no per-connection hook: request() is called once per request written. With
-- "close", every request is the first of its connection. With "keepalive", wrk opens all of a
-- thread's connections before its event loop starts and writes each one's first request in
-- the loop's first pass, before any response can arrive, so the first N calls are the N
-- first requests. (One thread only: N is the thread's connection count.) A header in the wrong
-- place cannot go unnoticed: the PROXY servers drop a connection without one, and node's HTTP
-- parser answers 400 to a request line starting with "PROXY"; wrk counts both as errors, the
-- servers count every address that is not the expected one, and the bench fails on either.

local first, rest, plain
local firsts = 0
local verified = false

local function unhex(s)
  return (s:gsub("..", function(byte) return string.char(tonumber(byte, 16)) end))
end

function init(args)
  local mode, hex, connections = args[1], args[2], tonumber(args[3])
  local req = "GET / HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port .. "\r\n"
  if mode == "close" then
    req = req .. "Connection: close\r\n"
  end
  req = req .. "\r\n"
  local header = hex == "-" and "" or unhex(hex)
  plain = req
  rest = req
  first = header .. req
  if mode == "close" then
    rest = first
  end
  firsts = connections
end

function request()
  -- wrk's first call checks that the script returns parseable HTTP (and counts pipelined
  -- requests); it is sent nowhere, so it gets the request without the header.
  if not verified then
    verified = true
    return plain
  end
  if firsts > 0 then
    firsts = firsts - 1
    return first
  end
  return rest
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\"requests\":%d,\"duration_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
