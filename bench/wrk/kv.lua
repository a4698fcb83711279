-- One wrk script for both systems, so that Skiff and etcd see the same load generator and the
-- same workload. Arguments (after wrk's `--`):
--   system   skiff | etcd
--   mode     write    every request writes a new, distinct key (100-byte value)
--            read     every request reads one of `nkeys` preloaded keys, chosen at random
--            mix      90 % reads as above, 10 % writes of new keys
--            preload  writes the keys pre/000000 .. pre/<nkeys-1>, cycling
--            txnN     every request is one transaction of N puts of new, distinct keys (Skiff
--                     POST /v1/txn, etcd POST /v3/kv/txn), e.g. txn8
--   read     consistent | stale (Skiff's consistency parameter); for etcd, consistent is a
--            linearizable range and stale a serializable one
--   prefix   key prefix that makes this run's writes distinct from every other run's
--   nkeys    number of preloaded keys (read, mix, preload)
-- done() prints one parseable line starting with WRKRESULT (latencies in microseconds).

local system, mode, readmode, prefix, nkeys
local counter = 0
local tid = 0
local threads = {}

local VALUE = string.rep("0123456789", 10) -- 100 bytes

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
  local out = {}
  local n = #s
  for i = 1, n, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(v / 262144) % 64
    local c2 = math.floor(v / 4096) % 64
    local c3 = math.floor(v / 64) % 64
    local c4 = v % 64
    out[#out + 1] = B64:sub(c1 + 1, c1 + 1) .. B64:sub(c2 + 1, c2 + 1)
        .. (b and B64:sub(c3 + 1, c3 + 1) or "=") .. (c and B64:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

local VALUE64 = b64(VALUE)

local function preKey(i)
  return string.format("pre/%06d", i)
end

local function writeRequest(key)
  if system == "skiff" then
    return wrk.format("PUT", "/v1/kv/" .. key, nil, VALUE)
  end
  return wrk.format("POST", "/v3/kv/put", nil, '{"key":"' .. b64(key) .. '","value":"' .. VALUE64 .. '"}')
end

-- One transaction of `ops` puts of new keys under `base`: one Raft entry on either system.
local function txnRequest(base, ops)
  local puts = {}
  for i = 1, ops do
    local key = base .. "/" .. i
    if system == "skiff" then
      puts[i] = '{"op":"put","key":"' .. key .. '","value":"' .. VALUE64 .. '"}'
    else
      puts[i] = '{"requestPut":{"key":"' .. b64(key) .. '","value":"' .. VALUE64 .. '"}}'
    end
  end
  local body = '{"success":[' .. table.concat(puts, ",") .. ']}'
  return wrk.format("POST", system == "skiff" and "/v1/txn" or "/v3/kv/txn", nil, body)
end

-- Reads are formatted once per key (in init) and replayed: the generator's own cost stays low.
local reads = {}
local function readRequest(key)
  if system == "skiff" then
    return wrk.format("GET", "/v1/kv/" .. key .. "?consistency=" .. readmode, nil, nil)
  end
  local serializable = readmode == "stale" and ',"serializable":true' or ""
  return wrk.format("POST", "/v3/kv/range", nil, '{"key":"' .. b64(key) .. '"' .. serializable .. '}')
end

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  system, mode, readmode, prefix, nkeys = args[1], args[2], args[3], args[4], tonumber(args[5])
  if system ~= "skiff" and system ~= "etcd" then
    error("kv.lua: first argument must be skiff or etcd, got " .. tostring(system))
  end
  local txn = mode:match("^txn(%d+)$")
  wrk.headers["Content-Type"] = (system == "skiff" and not txn) and "application/octet-stream" or "application/json"
  if mode == "read" or mode == "mix" then
    for i = 0, nkeys - 1 do
      reads[i] = readRequest(preKey(i))
    end
  end
  math.randomseed(os.time() + tid * 7919)
end

function request()
  counter = counter + 1
  if mode == "write" then
    return writeRequest(prefix .. "/" .. tid .. "/" .. counter)
  elseif mode == "read" then
    return reads[math.random(0, nkeys - 1)]
  elseif mode == "mix" then
    if counter % 10 == 0 then
      return writeRequest(prefix .. "/" .. tid .. "/" .. counter)
    end
    return reads[math.random(0, nkeys - 1)]
  elseif mode == "preload" then
    return writeRequest(preKey(counter % nkeys))
  elseif mode:match("^txn%d+$") then
    return txnRequest(prefix .. "/" .. tid .. "/" .. counter, tonumber(mode:sub(4)))
  end
  error("kv.lua: unknown mode " .. tostring(mode))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d "
      .. "mean_us=%.1f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
