/**
 * Login admission on one user's registry, atomic because Valkey runs a script alone: prune the
 * members found dead, add the new session, evict the oldest beyond the cap, refresh the key's
 * expiry, return the evicted ids oldest first. With the `refuse` policy, a new session that would
 * take the set beyond the cap is not added and nothing is evicted: the script answers `0` (an
 * integer, which no list of victims can be mistaken for). The count happens after the pruning,
 * in the same script, so dead members never count and concurrent logins cannot both take the
 * last place. It touches `KEYS[1]` only and builds no key
 * (I6 in docs/architecture.md: Cluster-safe by construction); the caller deletes the victims' records after.
 *
 * KEYS[1] = `{prefix}:reg:{userId}`
 * ARGV[1] = now (epoch ms, from the injected Clock), ARGV[2] = cap (0 = no cap: a plain register),
 * ARGV[3] = lifetime ms of a session, ARGV[4] = new session id, ARGV[5] = `evict` or `refuse`
 * (what a full set does), ARGV[6..] = dead member ids.
 *
 * Score of a new member = max(now, highest score + 1): admission order stays strict even when the
 * clock has not moved (same millisecond, a frozen test clock, a peer instance whose clock lags),
 * so "oldest" is always the one admitted first, never a tie broken by id. Whenever the clock has
 * moved past the newest member, the score is exactly the clock's ms. Registering an id again
 * keeps its first score (`ZADD NX`).
 *
 * Eviction uses ZRANGE + ZREM rather than ZPOPMIN so that the id being admitted is never its own
 * victim, even when it is re-admitted and kept an old score.
 *
 * Expiry: the set must outlive its newest session, which can live until (its score + lifetime).
 * The TTL is only ever raised (PTTL compare, then PEXPIRE), because `PEXPIRE … GT` treats a key
 * without expiry as infinite and would never give it one.
 *
 * Numbers go out through `%.0f`: Lua 5.1 turns large numbers into "1.9e+12" when converting them
 * to command arguments. ZREM is sliced because `unpack` of thousands of values overflows Lua's
 * C stack.
 */
export const ADMISSION_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local lifetime = tonumber(ARGV[3])
local id = ARGV[4]
local refuse = ARGV[5] == 'refuse'

local function int(n)
  return string.format('%.0f', n)
end

local function zrem(list, from)
  for i = from, #list, 1000 do
    redis.call('ZREM', key, unpack(list, i, math.min(i + 999, #list)))
  end
end

zrem(ARGV, 6)

if not redis.call('ZSCORE', key, id) then
  if refuse and cap > 0 and redis.call('ZCARD', key) >= cap then
    return 0
  end
  local score = now
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if top[2] and tonumber(top[2]) + 1 > score then
    score = tonumber(top[2]) + 1
  end
  redis.call('ZADD', key, 'NX', int(score), id)
end

local victims = {}
if cap > 0 and not refuse then
  local excess = redis.call('ZCARD', key) - cap
  if excess > 0 then
    for _, member in ipairs(redis.call('ZRANGE', key, 0, excess)) do
      if #victims < excess and member ~= id then
        victims[#victims + 1] = member
      end
    end
    zrem(victims, 1)
  end
end

local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local ttl = tonumber(newest[2]) - now + lifetime
local current = redis.call('PTTL', key)
if current < 0 or current < ttl then
  redis.call('PEXPIRE', key, int(ttl))
end

return victims
`;
