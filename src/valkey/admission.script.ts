/**
 * Login admission on one user's registry, atomic because Valkey runs a script alone: prune the
 * dead members, add the new session, evict the oldest beyond the cap, keep the key's expiry
 * ahead of its newest member, and answer the evicted ids oldest first. With the `refuse` policy,
 * a new session that would take the user beyond the cap is not added and nothing is evicted: the
 * script answers `0`. The count happens after the pruning, in the same script, so dead members
 * never count and concurrent logins cannot both take the last place.
 *
 * Two ways to learn which members are dead and to end the victims:
 * - **Same server** (a single node or a Sentinel primary: `ARGV[6]` is the session key prefix):
 *   the script checks the members' records itself (one `EXISTS` over all of them; one per member
 *   only when some are missing) and ends the victims itself: a gone-marker each, their records
 *   deleted (with the sign-in's retired anonymous record) in the same atomic step. Nothing is left
 *   for the caller, so a reply lost to a timeout cannot leave a victim evicted but signed in.
 *   When asked (`ARGV[13]`), the new session's own record must already exist (it was written
 *   before, on the same connection): if it does not, the script changes nothing and answers `-1`.
 * - **Cluster** (`ARGV[6]` empty): records live in other slots, which a script may not touch
 *   (I6 in docs/architecture.md). The caller passes the dead ids it found (`ARGV[13..]`); victims
 *   stay in the set with a negative score (evicted, record maybe alive) until a later admission
 *   or revocation finds their record gone, so a lost reply leaves them reachable, not escaped.
 *
 * KEYS[1] = `{prefix}:reg:{userId}`
 * ARGV: 1 now (epoch ms, from the injected Clock), 2 cap (0 = no cap: a plain register),
 * 3 lifetime ms of a session, 4 new session id, 5 `evict` or `refuse`, 6 session key prefix or
 * '', 7 gone-marker key prefix, 8 gone reason ('' = no marker), 9 marker ttl ms, 10 retired id
 * ('' = none), 11 replaced id ('' = none: a re-sign-in's old member, removed in the same step),
 * 12 expiry slack ms, 13 `1` to check that the new session's record exists, 14.. dead ids (Cluster).
 *
 * Score of a new member = max(now, highest score + 1): admission order stays strict even when the
 * clock has not moved, so "oldest" is always the one admitted first. Registering an id again keeps
 * its first score. Negative scores mark evicted members (Cluster); they never count.
 *
 * Expiry: the set must outlive its newest session, which lives at most until its score +
 * lifetime. Scores fall in buckets of `slack` ms; the set expires `lifetime` after the end of its
 * newest member's bucket, checked by the first admission into that bucket (or of a new set) and
 * only ever raised (`PTTL`, then `PEXPIRE`: `PEXPIRE … GT` treats a key without expiry as
 * infinite); a set this admission created has none yet, so it gets its `PEXPIRE` without the `PTTL`.
 * The expiry that admission set covers every later member of the same bucket, so a burst of
 * sign-ins sends no expiry command after its first. (A set written without any expiry
 * by other code gets one at its next admission in a later bucket.)
 *
 * Numbers go out through `%.0f` (Lua 5.1 writes large numbers as "1.9e+12"); long argument lists
 * are sliced because `unpack` of thousands of values overflows Lua's C stack.
 */
export const ADMISSION_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local lifetime = tonumber(ARGV[3])
local id = ARGV[4]
local refuse = ARGV[5] == 'refuse'
local sess = ARGV[6]
local here = sess ~= ''
local reason = ARGV[8]
local retired = ARGV[10]
local replaced = ARGV[11]
local slack = tonumber(ARGV[12])

local function int(n)
  return string.format('%.0f', n)
end

local function sliced(command, list, prefix)
  for i = 1, #list, 1000 do
    local args = {}
    for j = i, math.min(i + 999, #list) do args[#args + 1] = prefix .. list[j] end
    redis.call(command, unpack(args))
  end
end

local dead, pending, others = {}, {}, {}
local known, top = false, nil
local flat
if cap > 0 then
  flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
else
  flat = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
end
local deadSet = {}
for i = 14, #ARGV do deadSet[ARGV[i]] = true end
for i = 1, #flat, 2 do
  local member, score = flat[i], tonumber(flat[i + 1])
  if top == nil or score > top then top = score end
  if member == id then
    known = true
  elseif member == replaced or deadSet[member] then
    dead[#dead + 1] = member
  elseif score < 0 then
    pending[#pending + 1] = member
  elseif cap > 0 then
    others[#others + 1] = member
  end
end
if cap == 0 then
  for member in pairs(deadSet) do dead[#dead + 1] = member end
  if replaced ~= '' then dead[#dead + 1] = replaced end
end

local live = others
local verify = ARGV[13] == '1'
if here and (cap > 0 or verify) then
  local keys = {}
  if verify then keys[1] = sess .. id end
  for _, member in ipairs(others) do keys[#keys + 1] = sess .. member end
  if #keys > 0 and redis.call('EXISTS', unpack(keys)) < #keys then
    if verify and redis.call('EXISTS', sess .. id) == 0 then return -1 end
    live = {}
    for _, member in ipairs(others) do
      if redis.call('EXISTS', sess .. member) == 1 then live[#live + 1] = member else dead[#dead + 1] = member end
    end
  end
end

if not known and refuse and cap > 0 and #live >= cap then
  return 0
end

local newest = top
if not known then
  local score = now
  if top and top + 1 > score then score = top + 1 end
  redis.call('ZADD', key, 'NX', int(score), id)
  newest = score
end

local victims = {}
if cap > 0 and not refuse then
  for i = 1, #live + 1 - cap do victims[#victims + 1] = live[i] end
end

local ended = {}
if here then
  for _, member in ipairs(pending) do ended[#ended + 1] = member end
  for _, member in ipairs(victims) do ended[#ended + 1] = member end
  local gone = {}
  for _, member in ipairs(dead) do gone[#gone + 1] = member end
  for _, member in ipairs(ended) do gone[#gone + 1] = member end
  if #gone > 0 then
    for i = 1, #gone, 1000 do redis.call('ZREM', key, unpack(gone, i, math.min(i + 999, #gone))) end
  end
  if reason ~= '' then
    for _, member in ipairs(ended) do redis.call('SET', ARGV[7] .. member, reason, 'PX', ARGV[9]) end
  end
  local records = {}
  for _, member in ipairs(ended) do records[#records + 1] = member end
  if retired ~= '' then records[#records + 1] = retired end
  if #records > 0 then sliced('DEL', records, sess) end
else
  if #dead > 0 then
    for i = 1, #dead, 1000 do redis.call('ZREM', key, unpack(dead, i, math.min(i + 999, #dead))) end
  end
  if #victims > 0 then
    local args = { key, 'XX' }
    for i = 1, #flat, 2 do
      for _, member in ipairs(victims) do
        if flat[i] == member then
          args[#args + 1] = int(-math.max(1, tonumber(flat[i + 1])))
          args[#args + 1] = member
        end
      end
    end
    redis.call('ZADD', unpack(args))
  end
  ended = victims
end

local bucket = math.floor(newest / slack)
local ttl = (bucket + 1) * slack + lifetime - now
if top == nil then
  redis.call('PEXPIRE', key, int(ttl))
elseif bucket > math.floor(top / slack) then
  local current = redis.call('PTTL', key)
  if current < 0 or current < ttl then
    redis.call('PEXPIRE', key, int(ttl))
  end
end

return ended
`;
