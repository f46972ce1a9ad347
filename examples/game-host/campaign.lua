-- The campaign the game host sends: the season-launch push to every player.
-- The host runs this file, then calls clevertap.new(options) and
-- client:start_send(channel, payload), and polls the client once per frame.
-- Credentials and the API address come from the environment
-- (CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE, CLEVERTAP_REGION or
-- CLEVERTAP_BASE_URL).
local players = tonumber(os.getenv("GAME_PLAYERS")) or 100000

local ids = {}
for i = 1, players do ids[i] = "player-" .. i end

return {
  channel = "push",
  payload = {
    to = { Identity = ids },
    content = { title = "Season 3 is live", body = "New maps, new rewards. Jump in!" },
  },
  -- Each new batch of 1000 costs the poll that starts it about half a
  -- millisecond of CPU; a modest concurrency keeps every poll small.
  options = { concurrency = 8 },
}
