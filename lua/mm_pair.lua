-- mm_pair: pairs the tickets of one game mode in one region, atomically, so no ticket is ever in
-- two matches however many instances run it. Line for line the algorithm of
-- src/apps/matchmaking/pairing.ts (read its header): anchors oldest first, candidates walked
-- outward in rating order (at most REACH places either way), pairwise windows, parties packed into
-- teams, teams split by the smallest spread of rating totals. Matched tickets leave the queue and
-- are recorded as proposals (until the match is written to the database).
--
-- Candidates are weighed from their sorted-set members alone ("<id>\t<players>\t<rating sum>\t<join
-- time>", parsed once per run): no hash read and no JSON decoding per candidate; the JSON of a
-- ticket is read only when a match takes it, and passed on as it is.
--
-- KEYS[1]  ratings: sorted set, ticket member by average rating
-- KEYS[2]  waits: sorted set, ticket member by join time (ms)
-- KEYS[3]  tickets: hash, ticket id -> "<member>\n<ticket JSON {id, players: [{id, rating}], joinedAt}>"
-- KEYS[4]  proposals: hash, match id -> "<now>\n<team>\t<ticket JSON>\n..."
-- ARGV[1]  now (ms)        ARGV[2] teams     ARGV[3] team size   ARGV[4] balance (1|0)
-- ARGV[5]  window initial  ARGV[6] growth/s  ARGV[7] window max
-- ARGV[8]  most matches    ARGV[9] most anchors (the oldest half and the newest half when more wait)
-- ARGV[10] the only anchor (a ticket id: pairing at join), or '' for the anchors of ARGV[9]
-- ARGV[11..] match ids to use, in order (at least ARGV[8] of them)
-- Returns  a flat list: the number of tickets left waiting, then per match: match id, ticket
--          count k, then k pairs (team, ticket JSON). (An empty queue lets the job back off.)
local REACH = 32
local now = tonumber(ARGV[1])
local teams = tonumber(ARGV[2])
local teamSize = tonumber(ARGV[3])
local balance = ARGV[4] == '1'
local initial = tonumber(ARGV[5])
local growth = tonumber(ARGV[6])
local maxw = tonumber(ARGV[7])
local maxMatches = tonumber(ARGV[8])
local maxAnchors = tonumber(ARGV[9])
local needed = teams * teamSize

local cache = {}
local function load(member)
  local t = cache[member]
  if t then return t end
  local id, size, sum, joinedAt = string.match(member, '^(.-)\t(%d+)\t([^\t]+)\t(%-?%d+)$')
  size = tonumber(size)
  sum = tonumber(sum)
  local w = initial + growth * math.max(0, now - tonumber(joinedAt)) / 1000
  t = { id = id, member = member, size = size, sum = sum, rating = sum / size, window = math.min(maxw, w) }
  cache[member] = t
  return t
end

local function packable(sizes)
  local loads = {}
  for t = 1, teams do loads[t] = 0 end
  local function place(i)
    if i > #sizes then return true end
    for t = 1, teams do
      if loads[t] + sizes[i] <= teamSize then
        loads[t] = loads[t] + sizes[i]
        if place(i + 1) then return true end
        loads[t] = loads[t] - sizes[i]
      end
    end
    return false
  end
  return place(1)
end

local function splitTeams(chosen)
  local loads, totals, current = {}, {}, {}
  for t = 1, teams do loads[t] = 0; totals[t] = 0 end
  local best, bestSpread = nil, math.huge
  local function place(i)
    if i > #chosen then
      local hi, lo = -math.huge, math.huge
      for t = 1, teams do
        if totals[t] > hi then hi = totals[t] end
        if totals[t] < lo then lo = totals[t] end
      end
      local spread = hi - lo
      if spread < bestSpread then
        bestSpread = spread
        best = {}
        for k = 1, #current do best[k] = current[k] end
      end
      return (not balance) or spread == 0
    end
    local c = chosen[i]
    for t = 1, teams do
      if loads[t] + c.size <= teamSize then
        loads[t] = loads[t] + c.size
        totals[t] = totals[t] + c.sum
        current[i] = t - 1
        local done = place(i + 1)
        loads[t] = loads[t] - c.size
        totals[t] = totals[t] - c.sum
        if done then return true end
      end
    end
    return false
  end
  place(1)
  return best
end

local out = { 0 }
local made = 0
-- Anchors: every ticket, or the oldest half of the budget and the newest half, so that a crowd
-- of old tickets nobody can match does not keep new arrivals from being looked at.
local anchors
local total = redis.call('ZCARD', KEYS[2])
if ARGV[10] ~= '' then
  anchors = {}
  local value = redis.call('HGET', KEYS[3], ARGV[10])
  if value then anchors[1] = string.sub(value, 1, string.find(value, '\n', 1, true) - 1) end
elseif total <= maxAnchors then
  anchors = redis.call('ZRANGE', KEYS[2], 0, -1)
else
  local oldest = math.ceil(maxAnchors / 2)
  anchors = redis.call('ZRANGE', KEYS[2], 0, oldest - 1)
  if maxAnchors - oldest > 0 then
    for _, id in ipairs(redis.call('ZRANGE', KEYS[2], oldest - maxAnchors, -1)) do anchors[#anchors + 1] = id end
  end
end
for _, aid in ipairs(anchors) do
  if made >= maxMatches then break end
  local rank = redis.call('ZRANK', KEYS[1], aid)
  if rank then
    local anchor = load(aid)
    -- Members by rank: the 8 either side in one call, further ones lazily in chunks of 8 towards
    -- the side being walked.
    local fetched = {}
    do
      local s, e = math.max(0, rank - 8), rank + 8
      for k = s, e do fetched[k] = false end
      for k, v in ipairs(redis.call('ZRANGE', KEYS[1], s, e)) do fetched[s + k - 1] = v end
    end
    local function member(r)
      if r < 0 or r < rank - REACH or r > rank + REACH then return nil end
      local m = fetched[r]
      if m == nil then
        local s, e
        if r < rank then s = math.max(0, rank - REACH, r - 7); e = r else s = r; e = math.min(rank + REACH, r + 7) end
        for k = s, e do fetched[k] = false end
        for k, v in ipairs(redis.call('ZRANGE', KEYS[1], s, e)) do fetched[s + k - 1] = v end
        m = fetched[r]
      end
      if m == false then return nil end
      return m
    end
    local ra, wa = anchor.rating, anchor.window
    local chosen = { anchor }
    local count = anchor.size
    local singles = anchor.size == 1
    local lo, hi = rank - 1, rank + 1
    while count < needed do
      local dlo, dhi = math.huge, math.huge
      local mlo, mhi = member(lo), member(hi)
      if mlo then dlo = ra - load(mlo).rating end
      if mhi then dhi = load(mhi).rating - ra end
      local candidate
      if dlo <= dhi and dlo <= wa then
        candidate = load(mlo); lo = lo - 1
      elseif dhi <= wa then
        candidate = load(mhi); hi = hi + 1
      else
        break
      end
      if count + candidate.size <= needed then
        local near = true
        for _, c in ipairs(chosen) do
          if math.abs(candidate.rating - c.rating) > math.min(candidate.window, c.window) then
            near = false
            break
          end
        end
        if near then
          -- Only single players so far: they always pack while they do not overflow (checked).
          local fits = singles and candidate.size == 1
          if not fits then
            local sizes = {}
            for k, c in ipairs(chosen) do sizes[k] = c.size end
            sizes[#sizes + 1] = candidate.size
            fits = packable(sizes)
          end
          if fits then
            singles = singles and candidate.size == 1
            chosen[#chosen + 1] = candidate
            count = count + candidate.size
          end
        end
      end
    end
    if count == needed then
      made = made + 1
      local mid = ARGV[10 + made]
      local split = splitTeams(chosen)
      local parts = { ARGV[1] }
      out[#out + 1] = mid
      out[#out + 1] = #chosen
      for k, c in ipairs(chosen) do
        local value = redis.call('HGET', KEYS[3], c.id)
        local raw = string.sub(value, string.find(value, '\n', 1, true) + 1)
        out[#out + 1] = split[k]
        out[#out + 1] = raw
        parts[#parts + 1] = tostring(split[k]) .. '\t' .. raw
        redis.call('ZREM', KEYS[1], c.member)
        redis.call('ZREM', KEYS[2], c.member)
        redis.call('HDEL', KEYS[3], c.id)
      end
      redis.call('HSET', KEYS[4], mid, table.concat(parts, '\n'))
    end
  end
end
out[1] = redis.call('ZCARD', KEYS[1])
return out
