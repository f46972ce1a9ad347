/* targets/stop, targets/result, targets/list and targets/trigger (Bulletins):
 * the small endpoints. */
#include "ct_schema_parts.h"

/* The tables are data laid out a row per field, variant or rule
 * (ct_schema.h), which clang-format would re-wrap: it is off for them and on
 * around each CHECK callback between them. */
/* clang-format off */

/* notifications-api-legacy.txt: stop and result take { "id": <campaign id> }. */
const ct_schema ct_sc_targets_stop = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "id", &ct_sc_campaign_id, CT_REQUIRED },
        CT_FIELDS_END },
};

const ct_schema ct_sc_targets_result = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "id", &ct_sc_campaign_id, CT_REQUIRED },
        CT_FIELDS_END },
};

/* docs/contract.md: client:list{ from = 20250101, to = 20250131 } (the reference has no
 * body for it): a date range of campaigns. */
const ct_schema ct_sc_targets_list = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "from", &ct_sc_date_int, CT_REQUIRED },
        { "to", &ct_sc_date_int, CT_REQUIRED },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        CT_SC_TO_NOT_BEFORE_FROM,
        CT_RULES_END },
};

/* bulletins.txt: "Event keys are limited to 120 characters, and property
 * values are limited to 512 bytes"; "CleverTap only supports String data type
 * for mapped property values". */
static const ct_schema bulletin_properties = {
    .kind = CT_K_MAP,
    .keys = &(const ct_schema){ .kind = CT_K_STRING, .min_chars = 1, .max_chars = 120,
                                .expect = "a property name of 1-120 characters" },
    .values = &(const ct_schema){ .kind = CT_K_STRING, .max_bytes = 512,
                                  .expect = "a string of at most 512 bytes (Bulletin property values are strings only)" },
};

/* clang-format on */
/* A UNIX timestamp written as a string of digits. */
static void check_epoch_digits(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    size_t i, n = v->u.str.len;
    (void)rule;
    for (i = 0; i < n && v->u.str.s[i] >= '0' && v->u.str.s[i] <= '9'; i++)
        ;
    if (n == 0 || n > 12 || i != n) {
        char got[96];
        ct_value_describe(v, got, sizeof got);
        ct_check_error(cx, "", "expected \"now\" or a UNIX timestamp in seconds, got %s", got);
    }
}
/* clang-format off */

/* "now" or a UNIX timestamp: the table types it string, the example sends the
 * number; both are accepted. */
static const ct_schema bulletin_when = {
    .kind = CT_K_ONEOF, .expect = "\"now\" or a UNIX timestamp in seconds",
    .alts = (const ct_schema *const[]){
        &CT_S_ENUM("now"),
        &(const ct_schema){ .kind = CT_K_INTEGER, .format = CT_FMT_EPOCH },
        &(const ct_schema){ .kind = CT_K_STRING,
            .rules = (const ct_rule[]){ CT_CHECK(check_epoch_digits), CT_RULES_END } },
        NULL },
};

const ct_schema ct_sc_targets_trigger = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "business_event", &ct_s_nonempty, CT_REQUIRED },
        { "name", &ct_s_nonempty, CT_REQUIRED },
        { "properties", &bulletin_properties, CT_REQUIRED },
        { "c-by", &ct_s_nonempty, CT_REQUIRED },
        { "when", &bulletin_when, CT_REQUIRED },
        CT_FIELDS_END },
};
/* clang-format on */
