--- The message for a send to identities listed in a file, any number of
-- them: the command streams the file and the client sends batches of 1000.
-- The file holds one identity per line (`user-1`, or typed: `Email:a@b.c`).
--
--   examples/make_ids.sh 50000 > /tmp/ids.txt
--   clevertap send push examples/bulk_send.lua --ids /tmp/ids.txt --failed-ids /tmp/retry.txt
return {
  tag_group = "season-sale",
  respect_frequency_caps = false,
  content = {
    title = "The season sale starts now",
    body = "Up to 50% off for the next 48 hours.",
    platform_specific = {
      android = { deep_link = "https://shop.example.com/sale", wzrk_cid = "promotions" },
      ios = { deep_link = "https://shop.example.com/sale" },
    },
  },
}
