-- realtime-presence: who is connected in one presence scope (an endpoint, or one room of it), per
-- instance, with expiry per instance so that a dead instance's users leave within the TTL.
--
-- KEYS[1]  x: instance -> when its entries expire (ms), sorted set
-- KEYS[2]  u: userId -> number of instances where the user has connections, hash (HLEN = users)
-- KEYS[3]  c: `<instance>\n<userId>` -> that user's connections there; `<instance>\n` -> all of them
-- KEYS[4]  n: totals, hash: `c` connections in the scope
-- ARGV[1]  operation: join | leave | beat | sync | read | online | list
-- ARGV[2]  this instance's id
-- ARGV[3]  now, epoch ms
-- ARGV[4]  time to live of an instance's entries, ms
-- ARGV[5]  channel that gets join/leave events ('' for none)
-- ARGV[6]  `PUBLISH`, or `SPUBLISH` on Cluster
-- ARGV[7]  prefix of an event message on the channel (`<origin> <stream> - `)
-- ARGV[8]  an event frame up to the user id (`{"t":"presence","room":"r1","user":"`)
-- ARGV[9]  join, leave, online: the user id ('' anonymous); sync: this instance's connections
-- ARGV[9]  list: list users whose id sorts after this one ('' from the start)
-- ARGV[10] list: at most this many users
-- ARGV[10..] sync: user id, connections, user id, connections, ...
-- Returns  join {1 if the user's first connection cluster-wide else 0, connections};
--          leave {1 if its last one else 0, connections}; beat {1, or 0 when this instance's entries
--          were gone (swept) and must be synced}; sync {connections}; read {users, connections,
--          instances}; online {instance ids where the user is connected}; list {1 if more users
--          follow else 0, user id, its instance ids joined by newlines, ...}, users in byte order
--          (sorting the scope's users costs O(n log n): a page for admin views, not a hot path).
-- Every operation first removes instances whose entries expired (leave events for their users), and
-- refreshes the keys' TTL, so a scope whose instances all died disappears by itself.
local op, me, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local function event(user, action)
  if ARGV[5] ~= '' then
    redis.call(ARGV[6], ARGV[5], ARGV[7] .. ARGV[8] .. user .. '","action":"' .. action .. '"}')
  end
end

local function addUser(user)
  if redis.call('HINCRBY', KEYS[2], user, 1) == 1 then event(user, 'join') return 1 end
  return 0
end

local function dropUser(user)
  if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
    redis.call('HDEL', KEYS[2], user)
    event(user, 'leave')
    return 1
  end
  return 0
end

local function sweep()
  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  if #dead == 0 then return end
  local isDead = {}
  for _, d in ipairs(dead) do
    isDead[d] = true
    redis.call('ZREM', KEYS[1], d)
  end
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    local field = all[i]
    local cut = string.find(field, '\n', 1, true)
    if cut and isDead[string.sub(field, 1, cut - 1)] then
      redis.call('HDEL', KEYS[3], field)
      local user = string.sub(field, cut + 1)
      if user == '' then
        redis.call('HINCRBY', KEYS[4], 'c', -tonumber(all[i + 1]))
      else
        dropUser(user)
      end
    end
  end
end

local function refresh()
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl * 2) end
end

local function total()
  return math.max(0, tonumber(redis.call('HGET', KEYS[4], 'c') or '0'))
end

sweep()
local mine = me .. '\n'

if op == 'join' then
  local user = ARGV[9]
  redis.call('ZADD', KEYS[1], now + ttl, me)
  redis.call('HINCRBY', KEYS[3], mine, 1)
  redis.call('HINCRBY', KEYS[4], 'c', 1)
  local first = 0
  if user ~= '' and redis.call('HINCRBY', KEYS[3], mine .. user, 1) == 1 then first = addUser(user) end
  refresh()
  return {first, total()}
elseif op == 'leave' then
  local user = ARGV[9]
  if not redis.call('ZSCORE', KEYS[1], me) then return {0, total()} end
  local last = 0
  if redis.call('HINCRBY', KEYS[3], mine, -1) <= 0 then redis.call('HDEL', KEYS[3], mine) end
  redis.call('HINCRBY', KEYS[4], 'c', -1)
  if user ~= '' and redis.call('HINCRBY', KEYS[3], mine .. user, -1) <= 0 then
    redis.call('HDEL', KEYS[3], mine .. user)
    last = dropUser(user)
  end
  if not redis.call('HGET', KEYS[3], mine) then redis.call('ZREM', KEYS[1], me) end
  refresh()
  return {last, total()}
elseif op == 'beat' then
  local present = redis.call('ZSCORE', KEYS[1], me)
  if present then
    redis.call('ZADD', KEYS[1], now + ttl, me)
    refresh()
    return {1}
  end
  return {0}
elseif op == 'sync' then
  local gone = {}
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    local field = all[i]
    if string.sub(field, 1, #mine) == mine then
      redis.call('HDEL', KEYS[3], field)
      local user = string.sub(field, #mine + 1)
      if user == '' then
        redis.call('HINCRBY', KEYS[4], 'c', -tonumber(all[i + 1]))
      elseif redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
        redis.call('HDEL', KEYS[2], user)
        gone[user] = true
      end
    end
  end
  local connections = tonumber(ARGV[9])
  if connections > 0 then
    redis.call('ZADD', KEYS[1], now + ttl, me)
    redis.call('HSET', KEYS[3], mine, connections)
    redis.call('HINCRBY', KEYS[4], 'c', connections)
  else
    redis.call('ZREM', KEYS[1], me)
  end
  for i = 10, #ARGV, 2 do
    local user = ARGV[i]
    redis.call('HSET', KEYS[3], mine .. user, ARGV[i + 1])
    if redis.call('HINCRBY', KEYS[2], user, 1) == 1 and not gone[user] then event(user, 'join') end
    gone[user] = nil
  end
  for user in pairs(gone) do event(user, 'leave') end
  refresh()
  return {total()}
elseif op == 'read' then
  return {redis.call('HLEN', KEYS[2]), total(), redis.call('ZCARD', KEYS[1])}
elseif op == 'online' then
  local user = ARGV[9]
  local found = {}
  for _, inst in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if redis.call('HGET', KEYS[3], inst .. '\n' .. user) then found[#found + 1] = inst end
  end
  return found
elseif op == 'list' then
  local after, limit = ARGV[9], tonumber(ARGV[10])
  local users = {}
  for _, user in ipairs(redis.call('HKEYS', KEYS[2])) do
    if user > after then users[#users + 1] = user end
  end
  table.sort(users)
  local live = redis.call('ZRANGE', KEYS[1], 0, -1)
  local reply = {#users > limit and 1 or 0}
  for i = 1, math.min(limit, #users) do
    local at = {}
    for _, inst in ipairs(live) do
      if redis.call('HGET', KEYS[3], inst .. '\n' .. users[i]) then at[#at + 1] = inst end
    end
    reply[#reply + 1] = users[i]
    reply[#reply + 1] = table.concat(at, '\n')
  end
  return reply
end
return redis.error_reply('ERR unknown realtime-presence operation ' .. tostring(op))
