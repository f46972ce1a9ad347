--- WhatsApp template campaign: a ticket update with a document attached,
-- to users who added to cart recently, using an approved template. The
-- template namespace comes from the environment (each account has its own).
--
--   WHATSAPP_TEMPLATE=<namespace>:ticket_update clevertap create examples/whatsapp_template.lua
local template = os.getenv("WHATSAPP_TEMPLATE") or "662da022_5583_406d_9c71_428d5e3164bb:ticket_update"
local DAY = 24 * 60 * 60
local now = os.time()

return {
  name = "Ticket update (WhatsApp)",
  target_mode = "whatsapp",
  where = {
    event_name = "Added To Cart",
    from = tonumber(os.date("%Y%m%d", now - 10 * DAY)),
    to = tonumber(os.date("%Y%m%d", now)),
    common_profile_properties = {
      profile_fields = {
        { name = "Customer Type", operator = "equals", value = "Platinum" },
      },
    },
  },
  respect_frequency_caps = false,
  system_control_group_include = false,
  content = {
    template_name = template,
    -- Values for the template's {{1}}, {{2}} placeholders.
    replacements = { ["1"] = "buddy", ["2"] = "your tickets are confirmed" },
    attachments = { type = "Document", value = "http://www.refworld.org/pdfid/4d3025492.pdf" },
  },
  when = "now",
}
