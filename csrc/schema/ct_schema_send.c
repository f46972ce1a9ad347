/* send/push|webpush|email|sms: messages to users by identity
 * (create-campaign.txt "Target Users by their Identities",
 * notifications-api-legacy.txt "Send Notifications based on User Identity"). */
#include "ct_schema_parts.h"

/* The tables are data laid out a row per field, variant or rule
 * (ct_schema.h), which clang-format would re-wrap: it is off for them and on
 * around each CHECK callback between them. */
/* clang-format off */

/* sender_name is "required" in the newer doc; the legacy email example has
 * none: missing is a warning (targets/create's email content requires it). */
static const ct_schema email_content = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "subject", &ct_s_nonempty, CT_REQUIRED },
        { "body", &ct_s_nonempty, CT_REQUIRED },
        { "sender_name", &ct_s_nonempty, CT_REQUIRED_SOFT },
        CT_FIELDS_END },
};

/* No nested content.sms here, unlike targets/create's sms content. */
static const ct_schema sms_content = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "body", &ct_s_nonempty, CT_REQUIRED },
        { "template_id", &ct_s_nonempty, 0 },
        CT_FIELDS_END },
};

/* "to, name, title, body, subject, sender_name, and target_mode are required
 * parameters" says the reference, yet none of its send examples has a name or
 * a target_mode: both are known (no unknown-member warning), neither required. */
#define CT_SEND_FIELDS(content, mode)                            \
    { "to", &ct_sc_identities, CT_REQUIRED },                    \
    { "name", &ct_s_nonempty, 0 },                               \
    { "target_mode", &CT_S_ENUM(mode), 0 },                      \
    { "tag_group", &ct_s_nonempty, 0 },                          \
    { "campaign_id", &ct_sc_campaign_id, 0 },                    \
    { "respect_frequency_caps", &ct_s_boolean, 0 },              \
    { "provider_nick_name", &ct_s_nonempty, 0 },                 \
    { "content", (content), CT_REQUIRED },                       \
    CT_FIELDS_END

/* "optional (either use tag_group or campaign_id)", yet the documented web push
 * and cURL examples send both: a warning, not an error. */
static const ct_rule send_rules[] = {
    { .kind = CT_R_EXCLUSIVE, .field = "campaign_id", .other = "tag_group",
      .severity = CT_SEVERITY_WARNING,
      .message = "given together with \"campaign_id\": the docs say to use either one, not both" },
    CT_RULES_END,
};

const ct_schema ct_sc_send_push = {
    .kind = CT_K_OBJECT, .rules = send_rules,
    .fields = (const ct_field[]){ CT_SEND_FIELDS(&ct_sc_push_content, "push") },
};

const ct_schema ct_sc_send_webpush = {
    .kind = CT_K_OBJECT, .rules = send_rules,
    .fields = (const ct_field[]){ CT_SEND_FIELDS(&ct_sc_webpush_content, "webpush") },
};

const ct_schema ct_sc_send_email = {
    .kind = CT_K_OBJECT, .rules = send_rules,
    .fields = (const ct_field[]){ CT_SEND_FIELDS(&email_content, "email") },
};

const ct_schema ct_sc_send_sms = {
    .kind = CT_K_OBJECT, .rules = send_rules,
    .fields = (const ct_field[]){ CT_SEND_FIELDS(&sms_content, "sms") },
};
/* clang-format on */
