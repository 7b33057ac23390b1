-- Writes one session. Data fields are stored one per hash field (`d.<name>` = JSON), so a save
-- only touches the fields its request changed: two requests of one session that change different
-- fields both keep their changes (per-field merge; the later save wins a field both changed).
-- KEYS[1]  the session hash
-- ARGV[1]  now, milliseconds since the epoch
-- ARGV[2]  mode: 'create' (the id must be new), 'update' (the session must exist; merge),
--          'replace' (create or overwrite; data fields not listed are removed)
-- ARGV[3]  lifetime in ms (rolling); '' keeps the stored one (update only)
-- ARGV[4]  user: '' keeps it, '-' makes the session anonymous, '=<id>' sets it
-- ARGV[5]  user claims as JSON ('' keeps them; written together with a user change)
-- ARGV[6]  device ('' keeps it)
-- ARGV[7]  client address ('' keeps it)
-- ARGV[8]  express-session cookie as JSON ('' keeps it)
-- ARGV[9]  when the user's index entry is next due for refresh, ms ('' keeps it)
-- ARGV[10] n, the number of data fields to set; ARGV[11 .. 10+2n] name/JSON pairs;
--          the remaining ARGV are names of data fields to delete
-- Returns  {version, previous user id or '', index due time or '', lifetime}; {0, '', '', 0}
--          when mode is 'update' and the session is gone (ended or expired: it is not recreated);
--          {-1, '', '', 0} when mode is 'create' and the id is taken.
local key = KEYS[1]
local now = tonumber(ARGV[1])
local mode = ARGV[2]
local exists = redis.call('EXISTS', key) == 1
if mode == 'update' and not exists then
  return {0, '', '', 0}
end
if mode == 'create' and exists then
  return {-1, '', '', 0}
end

local previous = ''
local version = 1
local ttl = tonumber(ARGV[3])
local due = tonumber(ARGV[9])
if exists then
  local stored = redis.call('HMGET', key, 'u', 'v', 't', 'x')
  previous = stored[1] or ''
  version = (tonumber(stored[2]) or 0) + 1
  if ttl == nil then
    ttl = tonumber(stored[3])
  end
  if due == nil then
    due = tonumber(stored[4])
  end
end
if ARGV[4] == '-' then
  due = nil
end
-- The same cap as in session_load.lua: never outlive the user's index entry.
local expires = now + ttl
if due ~= nil and expires > due + ttl then
  expires = due + ttl
end

if mode == 'replace' and exists then
  local names = redis.call('HKEYS', key)
  local stale = {}
  for _, name in ipairs(names) do
    if string.sub(name, 1, 2) == 'd.' then
      stale[#stale + 1] = name
    end
  end
  if #stale > 0 then
    redis.call('HDEL', key, unpack(stale))
  end
end

local meta = {'v', version, 't', ttl, 's', ARGV[1], 'e', string.format('%d', expires)}
if not exists then
  meta[#meta + 1] = 'c'
  meta[#meta + 1] = ARGV[1]
end
if ARGV[4] == '-' then
  redis.call('HDEL', key, 'u', 'p', 'x')
elseif ARGV[4] ~= '' then
  meta[#meta + 1] = 'u'
  meta[#meta + 1] = string.sub(ARGV[4], 2)
end
local optional = {{'p', ARGV[5]}, {'a', ARGV[6]}, {'ip', ARGV[7]}, {'ck', ARGV[8]}, {'x', ARGV[9]}}
for _, pair in ipairs(optional) do
  if pair[2] ~= '' then
    meta[#meta + 1] = pair[1]
    meta[#meta + 1] = pair[2]
  end
end
redis.call('HSET', key, unpack(meta))

local n = tonumber(ARGV[10])
if n > 0 then
  local pairs = {}
  for i = 11, 10 + 2 * n, 2 do
    pairs[#pairs + 1] = 'd.' .. ARGV[i]
    pairs[#pairs + 1] = ARGV[i + 1]
  end
  redis.call('HSET', key, unpack(pairs))
end
local deleted = {}
for i = 11 + 2 * n, #ARGV do
  deleted[#deleted + 1] = 'd.' .. ARGV[i]
end
if #deleted > 0 then
  redis.call('HDEL', key, unpack(deleted))
end

if expires <= now then
  redis.call('DEL', key)
  return {0, '', '', 0}
end
redis.call('PEXPIRE', key, expires - now)
if due == nil then
  return {version, previous, '', ttl}
end
return {version, previous, string.format('%d', due), ttl}
