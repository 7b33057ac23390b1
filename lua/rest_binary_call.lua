-- Runs one command for the rest topology whose arguments JSON cannot carry (bytes that are not
-- UTF-8): those arrive hex-encoded and are decoded here. No JavaScript twin: it is transport, not
-- a module's logic (src/redis/topology/rest-transport.ts), and MemoryStore never needs it.
-- KEYS[1]  the command's key, declared so the script may touch it (absent for keyless commands)
-- ARGV[1]  positions of the hex-encoded arguments among ARGV[2..] (1-based, comma-separated)
-- ARGV[2..] the command and its arguments
-- Returns  the command's own reply
local hex = {}
for position in string.gmatch(ARGV[1], '%d+') do hex[tonumber(position)] = true end
local args = {}
for i = 2, #ARGV do
  local value = ARGV[i]
  if hex[i - 1] then
    value = (value:gsub('%x%x', function(pair) return string.char(tonumber(pair, 16)) end))
  end
  args[i - 1] = value
end
return redis.call(unpack(args))
