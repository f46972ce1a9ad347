--- Bulletin: raise the business event "Program Released" so CleverTap sends
-- the Bulletin configured for it on the dashboard (targets/trigger). The
-- episode comes from the environment, the way a release pipeline would call it.
--
--   EPISODE=12 clevertap trigger examples/bulletin.lua
local episode = os.getenv("EPISODE") or "12"

return {
  business_event = "Program Released",
  name = "Sa Re Ga Ma episode " .. episode,
  properties = {
    program_id = tostring(234555 + tonumber(episode)),
    language = "Hindi",
    prev_program_id = tostring(234554 + tonumber(episode)),
  },
  ["c-by"] = os.getenv("BULLETIN_CREATOR") or "releases@example.com",
  when = "now",
}
