/* targets/create: the members every campaign shares, then one variant per
 * target_mode with its content (create-campaign.txt "Body Parameters" and
 * "Example Payloads"; notifications-api-legacy.txt for the legacy push form). */
#include <stdlib.h>
#include <string.h>

#include "ct_sb.h"
#include "ct_schema_parts.h"

/* The tables are data laid out a row per field, variant or rule
 * (ct_schema.h), which clang-format would re-wrap: it is off for them and on
 * around each CHECK callback between them. */
/* clang-format off */

/* ---- push ----------------------------------------------------------------- */

/* Legacy doc: "devices - Inputs must be an array, the valid inputs here are;
 * android, ios, windows". Only the legacy doc makes devices required: the
 * current create-campaign parameter table does not list it (its examples all
 * send it), so a missing list is a warning (docs/contract.md: contradictions warn). */
static const ct_schema push_devices = {
    .kind = CT_K_ARRAY, .min_items = 1,
    .items = &CT_S_ENUM("android", "ios", "windows"),
    .missing = "missing: the legacy create-campaign doc requires devices (android, ios, windows) for "
               "push campaigns; the current parameter table does not list it",
};

/* ttl: ttl_type "relative" (default, minutes) or "absolute" (yyyyMMddHHmm). An
 * absolute ttl in the past is only a warning: the documented example's is. */
static const ct_schema ttl_absolute_value = {
    .kind = CT_K_INTEGER, .format = CT_FMT_STAMP12, .flags = CT_S_FUTURE_WARN,
};

static const ct_schema ttl_relative_value = {
    .kind = CT_K_INTEGER, CT_MIN(1), .expect = "a number of minutes >= 1 (relative ttl)",
};

static const ct_schema ttl = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "ttl_type", &CT_S_ENUM("relative", "absolute"), 0 },
        { "value", &ct_s_any, CT_REQUIRED }, /* typed by the rules below */
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        CT_MATCH_IF("value", "ttl_type", "absolute", &ttl_absolute_value),
        CT_MATCH_IF("value", "ttl_type", "!absolute", &ttl_relative_value),
        CT_RULES_END },
};

static const ct_schema mode_push = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "content", &ct_sc_push_content, CT_REQUIRED },
        { "devices", &push_devices, CT_REQUIRED_SOFT },
        { "ttl", &ttl, 0 },
        CT_FIELDS_END },
};

/* ---- webpush, email, sms -------------------------------------------------- */

static const ct_schema mode_webpush = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "content", &ct_sc_webpush_content, CT_REQUIRED },
        CT_FIELDS_END },
};

/* Not send/email's content: a campaign's sender_name is required (send's is soft). */
static const ct_schema mode_email = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "content", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "subject", &ct_s_nonempty, CT_REQUIRED },
              { "body", &ct_s_nonempty, CT_REQUIRED },
              { "sender_name", &ct_s_nonempty, CT_REQUIRED },
              CT_FIELDS_END } }, CT_REQUIRED },
        CT_FIELDS_END },
};

/* content.sms.template_id: "Template ID (required for sending SMS to phone
 * numbers of India)"; accepted as content.template_id too. Not send/sms's
 * content: only the campaign docs have the nested content.sms. */
static const ct_schema mode_sms = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "content", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "body", &ct_s_nonempty, CT_REQUIRED },
              { "template_id", &ct_s_nonempty, 0 },
              { "sms", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
                    { "template_id", &ct_s_nonempty, 0 }, CT_FIELDS_END } }, 0 },
              CT_FIELDS_END } }, CT_REQUIRED },
        { "provider_group_nickname", &ct_s_nonempty, 0 },
        CT_FIELDS_END },
};

/* ---- webhook -------------------------------------------------------------- */

/* Only the example documents the webhook members: unknown webhook_fields
 * values are warnings. */
static const ct_schema mode_webhook = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "webhook_endpoint_name", &ct_s_nonempty, CT_REQUIRED },
        { "webhook_fields", &(const ct_schema){ .kind = CT_K_ARRAY,
              .items = &(const ct_schema){ .kind = CT_K_STRING, .flags = CT_S_SOFT,
                  .enums = CT_ENUM("profile-attributes", "tokens", "identities") } }, 0 },
        { "webhook_key_value", &(const ct_schema){ .kind = CT_K_MAP, .values = &ct_s_scalar }, 0 },
        CT_FIELDS_END },
};

/* ---- notificationinbox ---------------------------------------------------- */

static const ct_schema inbox_text = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "text", &ct_s_string, CT_REQUIRED }, CT_FIELDS_END },
};

static const ct_schema inbox_urls = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "android", &inbox_text, 0 },
        { "ios", &inbox_text, 0 },
        CT_FIELDS_END },
};

/* links: "copy" carries copyText, "url" carries per-platform urls. */
static const ct_schema inbox_link = {
    .kind = CT_K_VARIANT, .discriminator = "type",
    .variants = (const ct_variant[]){
        { "copy", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "copyText", &inbox_text, CT_REQUIRED }, CT_FIELDS_END } } },
        { "url", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "url", &inbox_urls, CT_REQUIRED }, CT_FIELDS_END } } },
        CT_VARIANTS_END },
    .fields = (const ct_field[]){
        { "text", &ct_s_nonempty, CT_REQUIRED },
        { "color", &ct_s_string, 0 },
        { "bg", &ct_s_string, 0 },
        CT_FIELDS_END },
};

static const ct_schema inbox_action = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "url", &inbox_urls, 0 },
        { "links", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &inbox_link }, 0 },
        CT_FIELDS_END },
};

static const ct_schema inbox_media = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "content_type", &ct_s_nonempty, CT_REQUIRED },
        { "url", &ct_s_nonempty, CT_REQUIRED },
        CT_FIELDS_END },
};

#define CT_INBOX_ITEM_FIELDS(media_flags)          \
    { "message", &inbox_text, 0 },                 \
    { "title", &inbox_text, 0 },                   \
    { "action", &inbox_action, 0 },                \
    { "media", &inbox_media, (media_flags) },      \
    { "icon", &inbox_media, 0 },                   \
    CT_FIELDS_END

static const ct_schema inbox_items = {
    .kind = CT_K_ARRAY, .min_items = 1,
    .items = &(const ct_schema){ .kind = CT_K_OBJECT,
                                 .fields = (const ct_field[]){ CT_INBOX_ITEM_FIELDS(0) } },
};

/* "// media & template_type is mandatory" (carousel-image, message-icon). */
static const ct_schema inbox_items_with_media = {
    .kind = CT_K_ARRAY, .min_items = 1,
    .items = &(const ct_schema){ .kind = CT_K_OBJECT,
                                 .fields = (const ct_field[]){ CT_INBOX_ITEM_FIELDS(CT_REQUIRED) } },
};

static const ct_schema inbox_with_media = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "content", &inbox_items_with_media, CT_REQUIRED }, CT_FIELDS_END },
};

/* "template_type": mandatory, one of the four documented templates. */
static const ct_schema mode_inbox = {
    .kind = CT_K_VARIANT, .discriminator = "template_type",
    .variants = (const ct_variant[]){
        { "simple", &ct_s_empty_object },
        { "carousel", &ct_s_empty_object },
        { "carousel-image", &inbox_with_media },
        { "message-icon", &inbox_with_media },
        CT_VARIANTS_END },
    .fields = (const ct_field[]){
        { "content", &inbox_items, CT_REQUIRED },
        { "orientation", &CT_S_ENUM("p", "l"), 0 },
        { "time_to_live", &ct_sc_positive_int, 0 },
        { "tags", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &ct_s_nonempty }, 0 },
        { "devices", &(const ct_schema){ .kind = CT_K_ARRAY, .min_items = 1,
              .items = &CT_S_ENUM("android", "ios") }, 0 },
        CT_FIELDS_END },
};

/* ---- whatsapp ------------------------------------------------------------- */

/* clang-format on */
/* Coordinates come as numbers (interactive header) or as text ("19.8876",
 * attachments): the text must read as a number in range. rule->arg: double[2]. */
static void check_coordinate_text(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    const double *range = rule->arg;
    char buf[64], *end = NULL;
    double d = 0;
    size_t n = v->u.str.len;
    if (n > 0 && n < sizeof buf) {
        memcpy(buf, v->u.str.s, n);
        buf[n] = '\0';
        d = strtod(buf, &end);
    }
    if (end == NULL || end == buf || *end != '\0' || !(d >= range[0] && d <= range[1])) {
        char got[96];
        ct_value_describe(v, got, sizeof got);
        ct_check_error(cx, "", "expected a number from %g to %g (or its text), got %s", range[0], range[1], got);
    }
}
/* clang-format off */

static const ct_schema latitude = {
    .kind = CT_K_ONEOF, .expect = "a latitude -90..90 (number or numeric text)",
    .alts = (const ct_schema *const[]){
        &(const ct_schema){ .kind = CT_K_NUMBER, CT_RANGE(-90, 90) },
        &(const ct_schema){ .kind = CT_K_STRING, .rules = (const ct_rule[]){
            { .kind = CT_R_CHECK, .check = check_coordinate_text, .arg = (const double[]){ -90, 90 } },
            CT_RULES_END } },
        NULL },
};

static const ct_schema longitude = {
    .kind = CT_K_ONEOF, .expect = "a longitude -180..180 (number or numeric text)",
    .alts = (const ct_schema *const[]){
        &(const ct_schema){ .kind = CT_K_NUMBER, CT_RANGE(-180, 180) },
        &(const ct_schema){ .kind = CT_K_STRING, .rules = (const ct_rule[]){
            { .kind = CT_R_CHECK, .check = check_coordinate_text, .arg = (const double[]){ -180, 180 } },
            CT_RULES_END } },
        NULL },
};

/* attachments.value for "Location": {"latitude": "19.8876", "longitude": "86.0945"} */
static const ct_schema location_value = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "latitude", &latitude, CT_REQUIRED },
        { "longitude", &longitude, CT_REQUIRED },
        { "name", &ct_s_string, 0 },
        { "address", &ct_s_string, 0 },
        CT_FIELDS_END },
};

/* The interactive location example spells "latitiude": accepted, warned. */
static const ct_schema header_location_media = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "latitude", &latitude, 0 },
        { "latitiude", &(const ct_schema){ .kind = CT_K_ONEOF,
              .note = "\"latitiude\" (the documented example's spelling) is read as \"latitude\"",
              .alts = (const ct_schema *const[]){ &latitude, NULL } }, 0 },
        { "longitude", &longitude, CT_REQUIRED },
        { "name", &ct_s_string, 0 },
        { "address", &ct_s_string, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_AT_LEAST_ONE_OF("latitude", "latitiude"),
                                CT_EXCLUSIVE("latitude", "latitiude"), CT_RULES_END },
};

static const ct_schema media_url = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "url", &ct_s_nonempty, CT_REQUIRED }, CT_FIELDS_END },
};

static const ct_schema string_list = { .kind = CT_K_ARRAY, .items = &ct_s_string };

static const ct_schema with_media_url = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "media", &media_url, CT_REQUIRED }, CT_FIELDS_END },
};

/* header.type: image, video, document (media.url), text (replacements),
 * location (media with coordinates). */
static const ct_schema wa_header = {
    .kind = CT_K_VARIANT, .discriminator = "type",
    .variants = (const ct_variant[]){
        { "image", &with_media_url },
        { "video", &with_media_url },
        { "document", &with_media_url },
        { "text", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "replacements", &string_list, CT_REQUIRED }, CT_FIELDS_END } } },
        { "location", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "media", &header_location_media, CT_REQUIRED }, CT_FIELDS_END } } },
        CT_VARIANTS_END },
};

static const ct_schema wa_interactive = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "header", &wa_header, 0 },
        { "body", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "replacements", &string_list, CT_REQUIRED }, CT_FIELDS_END } }, CT_REQUIRED },
        { "buttons", &(const ct_schema){ .kind = CT_K_ARRAY,
              .items = &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
                  { "replacements", &string_list, CT_REQUIRED }, CT_FIELDS_END } } }, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        { .kind = CT_R_FORBIDDEN_IF, .field = "replacements", .other = "body",
          .message = "belongs to template messages; an interactive message "
                     "(header/body/buttons) carries its replacements in body, header and buttons" },
        { .kind = CT_R_FORBIDDEN_IF, .field = "attachments", .other = "body",
          .message = "belongs to template messages; an interactive message "
                     "(header/body/buttons) attaches media in header" },
        CT_RULES_END },
};

/* attachments: "images, videos, documents, and locations". */
static const ct_schema wa_attachments = {
    .kind = CT_K_VARIANT, .discriminator = "type",
    .variants = (const ct_variant[]){
        { "Image", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "value", &ct_s_nonempty, CT_REQUIRED }, CT_FIELDS_END } } },
        { "Video", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "value", &ct_s_nonempty, CT_REQUIRED }, CT_FIELDS_END } } },
        { "Document", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "value", &ct_s_nonempty, CT_REQUIRED }, CT_FIELDS_END } } },
        { "Location", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "value", &location_value, CT_REQUIRED }, CT_FIELDS_END } } },
        CT_VARIANTS_END },
};

static const ct_schema wa_template = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "replacements", &(const ct_schema){ .kind = CT_K_MAP, .values = &ct_s_scalar }, CT_REQUIRED },
        { "attachments", &wa_attachments, 0 },
        CT_FIELDS_END },
};

/* A template message (replacements, attachments) or an interactive one
 * (header, body, buttons), told apart by which members are present. */
static const ct_schema wa_content = {
    .kind = CT_K_VARIANT, .flags = CT_S_BY_PRESENCE, .default_variant = "replacements",
    .variants = (const ct_variant[]){
        { "body", &wa_interactive },
        { "header", &wa_interactive },
        { "buttons", &wa_interactive },
        { "replacements", &wa_template },
        { "attachments", &wa_template },
        CT_VARIANTS_END },
    .fields = (const ct_field[]){
        { "template_name", &ct_s_nonempty, CT_REQUIRED },
        CT_FIELDS_END },
};

static const ct_schema mode_whatsapp = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "content", &wa_content, CT_REQUIRED }, CT_FIELDS_END },
};

/* ---- the campaign --------------------------------------------------------- */

/* clang-format on */
/* The legacy doc's push campaign has no target_mode; the newer doc always
 * sends one. The modes named are the campaign schema's variants, so a mode
 * added there is named here too. */
static void check_target_mode_given(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    const ct_value *mode = ct_obj_get(v, "target_mode");
    (void)rule;
    if (mode != NULL && mode->type != CT_V_NULL) return;
    ct_sb modes;
    ct_sb_init(&modes);
    for (const ct_variant *m = ct_sc_targets_create.variants; m->value; m++)
        ct_sb_printf(&modes, "%s%s", m == ct_sc_targets_create.variants ? "" : ", ", m->value);
    ct_check_warning(cx, "/target_mode", "missing, taken as \"%s\" (legacy campaigns); one of %s",
                     ct_sc_targets_create.default_variant, ct_sb_cstr(&modes));
    ct_sb_free(&modes);
}
/* clang-format off */

/* "(Minimum value is 100)" */
static const ct_schema user_cap = {
    .kind = CT_K_INTEGER, CT_MIN(100), .expect = "an integer >= 100",
};

const ct_schema ct_sc_targets_create = {
    .kind = CT_K_VARIANT, .discriminator = "target_mode", .default_variant = "push",
    .variants = (const ct_variant[]){
        { "push", &mode_push },
        { "webpush", &mode_webpush },
        { "email", &mode_email },
        { "sms", &mode_sms },
        { "webhook", &mode_webhook },
        { "notificationinbox", &mode_inbox },
        { "whatsapp", &mode_whatsapp },
        CT_VARIANTS_END },
    .fields = (const ct_field[]){
        { "name", &ct_s_nonempty, CT_REQUIRED },
        { "where", &ct_sc_where, 0 },
        { "segment", &ct_s_integer, 0 },
        { "when", &ct_sc_when, CT_REQUIRED },
        { "estimate_only", &ct_s_boolean, 0 },
        { "async_estimate", &ct_s_boolean, 0 },
        { "skip_estimate", &ct_s_boolean, 0 },
        { "system_control_group_include", &ct_s_boolean, 0 },
        { "control_group", &ct_sc_control_group, 0 },
        { "send_to_all_devices", &ct_s_boolean, 0 },
        { "upper_cap_for_target_segment", &user_cap, 0 },
        { "users_limit_overall", &user_cap, 0 },
        { "users_limit_per_run", &ct_sc_positive_int, 0 },
        { "provider_nick_name", &ct_s_nonempty, 0 },
        { "conversion_goal", &ct_sc_conversion_goal, 0 },
        { "respect_frequency_caps", &ct_s_boolean, 0 },
        { "respect_throttle", &ct_s_boolean, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        /* "You do not need to mention "where" when using segment." */
        { .kind = CT_R_REQUIRED_UNLESS, .field = "where", .other = "segment",
          .message = "missing required member (an object; {} targets the entire user base), "
                     "unless \"segment\" is given" },
        { .kind = CT_R_CHECK, .check = check_target_mode_given, .severity = CT_SEVERITY_WARNING },
        CT_EXCLUSIVE("users_limit_overall", "upper_cap_for_target_segment"),
        CT_RULES_END },
};
/* clang-format on */
