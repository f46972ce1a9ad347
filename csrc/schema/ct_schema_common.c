/* Pieces shared by several endpoints: dates, the audience ("where"), the
 * schedule ("when"), conversion goals, control groups, identity lists and the
 * platform_specific blocks. Each comment names the API reference passage. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ct_schema_parts.h"

/* The tables are data laid out a row per field, variant or rule
 * (ct_schema.h), which clang-format would re-wrap: it is off for them and on
 * around each CHECK callback between them. */
/* clang-format off */

/* ---- small leaves -------------------------------------------------------- */

const ct_schema ct_sc_date_int = {
    .kind = CT_K_INTEGER, .format = CT_FMT_DATE,
};

const ct_schema ct_sc_positive_int = {
    .kind = CT_K_INTEGER, CT_MIN(1), .expect = "an integer >= 1",
};

const ct_schema ct_sc_campaign_id = {
    .kind = CT_K_INTEGER, CT_MIN(1), .expect = "a campaign id (integer >= 1)",
};

/* create-campaign.txt, conversion_goal.filter_type.event_property.operator;
 * the same operators serve profile fields and advanced queries. */
#define CT_OPERATORS "equals", "greater_than", "greater_than_equals", "less_than", \
    "less_than_equals", "contains", "does_not_contain", "not_equals", "exists", \
    "does_not_exist", "between"

static const ct_schema operator_enum = {
    .kind = CT_K_STRING, .enums = CT_ENUM(CT_OPERATORS),
};

/* "between (requires 2 values in an array)" */
static const ct_schema between_pair = {
    .kind = CT_K_ARRAY, .items = &ct_s_scalar, .min_items = 2, .max_items = 2,
    .expect = "an array of two values [low, high] (operator between)",
};

/* A comparison's value member (`value` or `property_value`) follows its operator:
 * two values for between, none needed for exists/does_not_exist (one given is
 * ignored: warning), one scalar otherwise. The operator defaults to equals. */
#define CT_VALUE_RULES(V)                                                        \
    CT_REQUIRED_IF(V, "operator", "!exists|does_not_exist"),                     \
    CT_MATCH_IF(V, "operator", "between", &between_pair),                        \
    CT_MATCH_IF(V, "operator", "!between", &ct_s_scalar),                        \
    { .kind = CT_R_FORBIDDEN_IF, .field = V, .other = "operator",                \
      .equals = "exists|does_not_exist", .severity = CT_SEVERITY_WARNING }

/* ---- where ---------------------------------------------------------------- */

/* Newer doc: { "name", "operator", "value" }. */
static const ct_schema profile_field_named = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "name", &ct_s_nonempty, CT_REQUIRED },
        { "operator", &operator_enum, 0 },
        { "value", &ct_s_any, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_VALUE_RULES("value"), CT_RULES_END },
};

/* Legacy doc: { "Key", "value" } (docs/contract.md, known contradictions). */
static const ct_schema profile_field_legacy = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "Key", &(const ct_schema){ .kind = CT_K_STRING, .min_chars = 1,
              .note = "the legacy profile field shape {Key, value}; the current API documents "
                      "{name, operator, value}" }, CT_REQUIRED },
        { "value", &ct_s_scalar, CT_REQUIRED },
        CT_FIELDS_END },
};

static const ct_schema profile_field = {
    .kind = CT_K_VARIANT, .flags = CT_S_BY_PRESENCE,
    .expect = "a profile field {name, operator, value} (or the legacy {Key, value})",
    .variants = (const ct_variant[]){
        { "name", &profile_field_named },
        { "Key", &profile_field_legacy },
        CT_VARIANTS_END },
};

static const ct_schema common_profile_properties = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "profile_fields", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &profile_field }, 0 },
        CT_FIELDS_END },
};


/* create-campaign.txt "Example Request - Event Occurrence": did_all items. */
static const ct_schema query_event = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "event_name", &ct_s_nonempty, CT_REQUIRED },
        { "from", &ct_sc_date_int, 0 },
        { "to", &ct_sc_date_int, 0 },
        { "operator", &operator_enum, 0 },
        { "value", &ct_s_any, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        CT_REQUIRED_IF("from", "to", NULL),
        CT_REQUIRED_IF("to", "from", NULL),
        CT_SC_TO_NOT_BEFORE_FROM,
        CT_REQUIRED_IF("value", "operator", NULL),
        CT_MATCH_IF("value", "operator", "between", &between_pair),
        CT_MATCH_IF("value", "operator", "!between", &ct_s_scalar),
        CT_RULES_END },
};

static const ct_schema query_events = {
    .kind = CT_K_ARRAY, .items = &query_event, .min_items = 1,
};

static const ct_schema advanced_query = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "did_all", &query_events, 0 },
        { "did_any", &query_events, 0 },
        { "did_not", &query_events, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_AT_LEAST_ONE_OF("did_all", "did_any", "did_not"), CT_RULES_END },
};

/* where: "Send an empty object ({}) to target your entire user base." from/to:
 * "Value specified in format YYYYMMDD", integers. */
const ct_schema ct_sc_where = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "event_name", &ct_s_nonempty, 0 },
        { "from", &ct_sc_date_int, 0 },
        { "to", &ct_sc_date_int, 0 },
        { "common_profile_properties", &common_profile_properties, 0 },
        { "advanced_query", &advanced_query, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        CT_REQUIRED_IF("from", "to", NULL),
        CT_REQUIRED_IF("to", "from", NULL),
        CT_SC_TO_NOT_BEFORE_FROM,
        CT_RULES_END },
};

/* ---- when ----------------------------------------------------------------- */

static const ct_schema hhmm = { .kind = CT_K_STRING, .format = CT_FMT_TIME };

static const ct_schema time_pair = {
    .kind = CT_K_ARRAY, .items = &hhmm, .min_items = 2, .max_items = 2,
    .expect = "a pair of times [\"HH:MM\", \"HH:MM\"]",
};

/* clang-format on */
/* A DND window that starts when it ends: the docs do not say whether it is
 * empty or the whole day, and the when builders refuse it. */
static void check_dnd_window(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    const ct_value *a = ct_arr_get(v, 0), *b = ct_arr_get(v, 1);
    (void)rule;
    if (a && b && a->type == CT_V_STR && b->type == CT_V_STR && a->u.str.len == b->u.str.len &&
        memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0)
        ct_check_report(cx, "/1",
                        "the window ends when it starts (%.*s): the docs do not say whether "
                        "that is no quiet time or the whole day",
                        (int)a->u.str.len, a->u.str.s);
}
/* clang-format off */

static const ct_schema dnd_window = {
    .kind = CT_K_ARRAY, .items = &hhmm, .min_items = 2, .max_items = 2,
    .expect = "a pair of times [\"HH:MM\", \"HH:MM\"]",
    .rules = (const ct_rule[]){ { .kind = CT_R_CHECK, .check = check_dnd_window,
                                  .severity = CT_SEVERITY_WARNING }, CT_RULES_END },
};

static const ct_schema future_datetime = {
    .kind = CT_K_STRING, .format = CT_FMT_DATETIME, .flags = CT_S_FUTURE,
};

/* "dnd.message_state ... Integer", with the values "delay"/"discard" (docs/contract.md). */
static const ct_schema message_state = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){
        &CT_S_ENUM("delay", "discard"),
        &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(0, 1),
            .expect = "the integer 0 or 1 (the docs type message_state Integer)",
            .note = "an integer message_state: the docs type it Integer but document the values "
                    "\"delay\" and \"discard\"" },
        NULL },
};

/* "Day: ... [Sun to Sat] is [1 to 7]" -> ["start", "end"] */
static const ct_schema dnd = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "message_state", &message_state, 0 },
        { "dnd_timezone", &CT_S_ENUM("user", "account"), CT_REQUIRED },
        { "dnd_info", &(const ct_schema){ .kind = CT_K_MAP, .min_items = 1,
              .keys = &(const ct_schema){ .kind = CT_K_STRING,
                  .enums = CT_ENUM("1", "2", "3", "4", "5", "6", "7"),
                  .expect = "a day of week \"1\"-\"7\" (Sun-Sat)" },
              .values = &dnd_window }, CT_REQUIRED },
        CT_FIELDS_END },
};

/* when.repeat_on_days_of_week: "[1,7] for [Sun to Saturday]" */
static const ct_schema days_of_week_1_7 = {
    .kind = CT_K_ARRAY, .min_items = 1, .flags = CT_S_UNIQUE_WARN,
    .items = &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(1, 7),
                                 .expect = "a day of week 1-7 (Sun-Sat)" },
};

static const ct_schema when_later = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "delivery_date_time", &(const ct_schema){ .kind = CT_K_ARRAY, .min_items = 1,
              .flags = CT_S_ASCENDING, .items = &future_datetime,
              .expect = "date-times \"YYYYMMDD HH:MM\" in increasing order" }, CT_REQUIRED },
        CT_FIELDS_END },
};

static const ct_schema when_recurring = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "repeats_every", &ct_sc_positive_int, CT_REQUIRED },
        { "repeat_type", &CT_S_ENUM("day", "week"), CT_REQUIRED },
        { "start_time", &future_datetime, CT_REQUIRED },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        CT_EXCLUSIVE("end_by_date", "end_by_occurrences"),
        CT_REQUIRED_IF("repeat_on_days_of_week", "repeat_type", "week"),
        { .kind = CT_R_FORBIDDEN_IF, .field = "repeat_on_days_of_week", .other = "repeat_type",
          .equals = "day", .severity = CT_SEVERITY_WARNING,
          .message = "only used when \"repeat_type\" is \"week\" (ignored for \"day\")" },
        /* end_by_date is "YYYYMMDD": not before the day of start_time */
        CT_NOT_BEFORE("end_by_date", "start_time"),
        CT_RULES_END },
};

/* A member of another type is ignored by the API: like an unknown key
 * (docs/contract.md), a warning, saying which type uses it. */
#define WHEN_ONLY_FOR(f, t)                                                                        \
    { .kind = CT_R_FORBIDDEN_IF, .field = (f), .other = "type", .equals = "!" t,                 \
      .severity = CT_SEVERITY_WARNING, .message = "only used when type is \"" t "\" (ignored here)" }

/* Every schedule member is known to every type (so a misplaced one is reported
 * as misplaced, not as an unknown key); the types make theirs required. */
static const ct_schema when_object = {
    .kind = CT_K_VARIANT, .discriminator = "type",
    .variants = (const ct_variant[]){
        { "now", &ct_s_empty_object },
        { "later", &when_later },
        { "recurring", &when_recurring },
        CT_VARIANTS_END },
    .fields = (const ct_field[]){
        { "delivery_date_time", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &ct_s_any }, 0 },
        { "repeats_every", &ct_sc_positive_int, 0 },
        { "repeat_type", &CT_S_ENUM("day", "week"), 0 },
        { "start_time", &future_datetime, 0 },
        { "end_by_date", &(const ct_schema){ .kind = CT_K_STRING, .format = CT_FMT_DATE }, 0 },
        { "end_by_occurrences", &ct_sc_positive_int, 0 },
        { "repeat_on_days_of_week", &days_of_week_1_7, 0 },
        { "delivery_timezone", &CT_S_ENUM("user", "account"), 0 },
        { "user_timezone_wrap_around", &ct_s_boolean, 0 },
        { "dnd", &dnd, 0 },
        { "campaign_cutoff", &hhmm, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){
        WHEN_ONLY_FOR("delivery_date_time", "later"),
        WHEN_ONLY_FOR("repeats_every", "recurring"),
        WHEN_ONLY_FOR("repeat_type", "recurring"),
        WHEN_ONLY_FOR("start_time", "recurring"),
        WHEN_ONLY_FOR("end_by_date", "recurring"),
        WHEN_ONLY_FOR("end_by_occurrences", "recurring"),
        WHEN_ONLY_FOR("repeat_on_days_of_week", "recurring"),
        CT_RULES_END },
};

/* "now" (right away), "YYYYMMDD HH:MM" (in the future) or the object form. */
const ct_schema ct_sc_when = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){
        &CT_S_ENUM("now"),
        &future_datetime,
        &when_object,
        NULL },
};

/* ---- conversion_goal ------------------------------------------------------ */

/* clang-format on */
/* property_value is typed String (cc 128, "book name"), but the reference's
 * own between example sends numbers ([3456,4567], cc 69): a number is
 * accepted, with a warning (docs/contract.md, known contradictions). */
static void warn_number(ct_check *cx, const char *rel, const ct_value *x)
{
    if (!x || (x->type != CT_V_INT && x->type != CT_V_NUM)) return;
    char got[40];
    ct_value_describe(x, got, sizeof got);
    ct_check_warning(cx, rel,
                     "the API reference types property_value String (\"book name\") but its between example "
                     "sends numbers: %s accepted and sent as a number; write \"%s\" for a string",
                     got, got);
}
/* clang-format off */

/* clang-format on */
static void check_property_value_string(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    const ct_value *pv = ct_obj_get(v, "property_value"), *op = ct_obj_get(v, "operator");
    (void)rule;
    if (!pv) return;
    /* exists/does_not_exist: the value is ignored, and already said so */
    if (op && op->type == CT_V_STR && op->u.str.len >= 6 &&
        (strncmp(op->u.str.s, "exists", op->u.str.len) == 0 ||
         strncmp(op->u.str.s, "does_not_exist", op->u.str.len) == 0))
        return;
    if (pv->type != CT_V_ARR) {
        warn_number(cx, "/property_value", pv);
        return;
    }
    for (size_t i = 0; i < pv->u.arr.n && i < 2; i++) {
        char rel[40];
        snprintf(rel, sizeof rel, "/property_value/%zu", i);
        warn_number(cx, rel, pv->u.arr.items[i]);
    }
}
/* clang-format off */

static const ct_schema event_property = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "property_name", &ct_s_nonempty, CT_REQUIRED },
        { "operator", &operator_enum, CT_REQUIRED },
        { "property_value", &ct_s_any, 0 },
        CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_VALUE_RULES("property_value"), CT_CHECK(check_property_value_string),
                                CT_RULES_END },
};

/* clang-format on */
/* "[0 to 6] is [Sun to Sat]"; an example sends 7 (docs/contract.md): accepted, warned. */
static void check_day_of_week_7(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    size_t i, n = ct_len(v);
    (void)rule;
    for (i = 0; i < n; i++) {
        const ct_value *d = ct_arr_get(v, i);
        if (d != NULL && d->type == CT_V_INT && d->u.i == 7) {
            char rel[32];
            snprintf(rel, sizeof rel, "/%zu", i);
            ct_check_warning(cx, rel,
                             "7 is outside the documented 0-6 (Sun-Sat); "
                             "accepted because a documented example uses it");
        }
    }
}
/* clang-format off */

static const ct_schema day_of_week_0_6 = {
    .kind = CT_K_ARRAY, .flags = CT_S_UNIQUE_WARN,
    .items = &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(0, 7),
                                 .expect = "a day of week 0-6 (Sun-Sat)" },
    .rules = (const ct_rule[]){ CT_CHECK(check_day_of_week_7), CT_RULES_END },
};

/* "[ [from_time, to_time] , [from_time, to_time] ]"; the filter_type example
 * shows one flat pair: accepted, warned. */
static const ct_schema time_of_day = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){
        &(const ct_schema){ .kind = CT_K_ARRAY, .items = &time_pair,
                            .expect = "a list of [\"HH:MM\", \"HH:MM\"] pairs" },
        &(const ct_schema){ .kind = CT_K_ARRAY, .items = &hhmm, .min_items = 2, .max_items = 2,
            .note = "a single [\"HH:MM\", \"HH:MM\"] pair: the docs specify a list of pairs "
                    "[[from, to], ...] (one example shows a flat pair)" },
        NULL },
};

static const ct_schema filter_type = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "event_property", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &event_property }, 0 },
        { "first_time", &CT_S_ENUM("yes", "no"), 0 },
        { "last_time", &CT_S_ENUM("yes", "no"), 0 },
        { "time_of_day", &time_of_day, 0 },
        { "day_of_week", &day_of_week_0_6, 0 },
        { "day_of_month", &(const ct_schema){ .kind = CT_K_ARRAY, .flags = CT_S_UNIQUE_WARN,
              .items = &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(1, 31),
                                           .expect = "a day of month 1-31" } }, 0 },
        CT_FIELDS_END },
};

/* event_name, filter_type, conversion_time and revenue_property: "Required if
 * conversion_goal is provided". */
const ct_schema ct_sc_conversion_goal = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "event_name", &ct_s_nonempty, CT_REQUIRED },
        { "filter_type", &filter_type, CT_REQUIRED },
        { "conversion_time", &CT_S_ENUM("30m", "1H", "2H", "4H", "8H", "12H", "1D", "2D", "3D",
                                        "5D", "1W", "2W", "1M", "2M", "5M"), CT_REQUIRED },
        { "revenue_property", &ct_s_nonempty, CT_REQUIRED },
        CT_FIELDS_END },
};

/* ---- control_group -------------------------------------------------------- */

/* {"type": "custom", "name": ...} or {"type": "campaign", "percentage": 5} */
const ct_schema ct_sc_control_group = {
    .kind = CT_K_VARIANT, .discriminator = "type",
    .variants = (const ct_variant[]){
        { "custom", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "name", &ct_s_nonempty, CT_REQUIRED }, CT_FIELDS_END } } },
        { "campaign", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "percentage", &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(1, 100),
                                                  .expect = "a percentage 1-100" }, CT_REQUIRED },
              CT_FIELDS_END } } },
        CT_VARIANTS_END },
};

/* ---- identities (send/<channel> "to") ------------------------------------- */

/* clang-format on */
/* "The to parameter is an object that has the following child properties:
 * FBID, Email, Identity, objectId"; the examples and the legacy doc add GPID. */
static void check_some_identity(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    size_t i, total = 0;
    (void)rule;
    if (v == NULL || v->type != CT_V_OBJ) {
        if (v != NULL && v->type == CT_V_EMPTY)
            ct_check_error(cx, "",
                           "expected at least one identity "
                           "(FBID, GPID, Email, Identity or objectId), got none");
        return;
    }
    /* A list that is there counts, whatever its shape: a string, a table
     * mixing items and keys or an array with holes already has its own error
     * at its member, and "got none" on top would be wrong. Only empty lists
     * and nulls give nothing. */
    for (i = 0; i < v->u.obj.n; i++) {
        const ct_value *m = v->u.obj.members[i].val;
        if (ct_is_array(m)) total += ct_len(m);
        else if (m->type != CT_V_NULL) total++;
    }
    if (total == 0)
        ct_check_error(cx, "",
                       "expected at least one identity "
                       "(FBID, GPID, Email, Identity or objectId), got none");
}
/* clang-format off */

const ct_schema ct_sc_identities = {
    .kind = CT_K_MAP,
    .keys = &(const ct_schema){ .kind = CT_K_STRING,
        .enums = CT_ENUM("FBID", "GPID", "Email", "Identity", "objectId"),
        .expect = "an identity type (FBID, GPID, Email, Identity or objectId)" },
    .values = &(const ct_schema){ .kind = CT_K_ARRAY, .items = &ct_s_nonempty,
                                  .expect = "an array of identities (non-empty strings)" },
    .rules = (const ct_rule[]){ CT_CHECK(check_some_identity), CT_RULES_END },
};

/* ---- platform_specific ---------------------------------------------------- */

/* "android_collapse ... any string value or number" */
static const ct_schema string_or_int = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){ &ct_s_string, &ct_s_integer, NULL },
};

/* mutable-content: typed Boolean, the examples send the string "true". */
static const ct_schema bool_or_bool_string = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){ &ct_s_boolean, &CT_S_ENUM("true", "false"), NULL },
};

/* wzrk_acts: "l" = title, "dl" = deep link, "id" = action id, "ico" = icon;
 * the doc shows it as a JSON text inside a string. */
static const ct_schema android_action = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "l", &ct_s_nonempty, CT_REQUIRED },
        { "dl", &ct_s_string, 0 },
        { "id", &ct_s_string, 0 },
        { "ico", &ct_s_string, 0 },
        CT_FIELDS_END },
};

/* clang-format on */
/* The string form must hold what the array form states: a JSON array of
 * actions, each with a title "l" and string "dl", "id", "ico". Reported at the
 * string: a pointer cannot reach inside it. */
static void check_wzrk_acts_text(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    json_error_t jerr;
    json_t *acts = json_loadb(v->u.str.s, v->u.str.len, JSON_REJECT_DUPLICATES, &jerr);
    size_t i;
    (void)rule;
    if (acts == NULL || !json_is_array(acts)) {
        ct_check_error(cx, "",
                       "expected a JSON array of actions [{\"l\": title, \"dl\": deep link, "
                       "\"id\": id, \"ico\": icon}] (as text or as an array), got %s",
                       acts == NULL ? "text that is not JSON" : "JSON that is not an array");
        json_decref(acts);
        return;
    }
    for (i = 0; i < json_array_size(acts); i++) {
        json_t *a = json_array_get(acts, i);
        const char *bad = NULL;
        if (!json_is_object(a)) bad = "is not an object";
        else if (!json_is_string(json_object_get(a, "l")) || json_string_length(json_object_get(a, "l")) == 0)
            bad = "has no title \"l\"";
        else if ((json_object_get(a, "dl") && !json_is_string(json_object_get(a, "dl"))) ||
                 (json_object_get(a, "id") && !json_is_string(json_object_get(a, "id"))) ||
                 (json_object_get(a, "ico") && !json_is_string(json_object_get(a, "ico"))))
            bad = "has a non-string \"dl\", \"id\" or \"ico\"";
        if (bad) {
            ct_check_error(cx, "",
                           "expected actions {\"l\": title, \"dl\", \"id\", \"ico\"}: "
                           "action %zu %s",
                           i, bad);
            break;
        }
    }
    json_decref(acts);
}
/* clang-format off */

static const ct_schema wzrk_acts = {
    .kind = CT_K_ONEOF,
    .alts = (const ct_schema *const[]){
        &(const ct_schema){ .kind = CT_K_ARRAY, .items = &android_action },
        &(const ct_schema){ .kind = CT_K_STRING, .flags = CT_S_NONEMPTY,
            .rules = (const ct_rule[]){ CT_CHECK(check_wzrk_acts_text), CT_RULES_END } },
        NULL },
};

/* Custom KVs: "You can specify it in the platform specific object." */
static const ct_schema ios = {
    .kind = CT_K_OBJECT, .extra = &ct_s_scalar,
    .fields = (const ct_field[]){
        { "mutable-content", &bool_or_bool_string, 0 },
        { "deep_link", &ct_s_string, 0 },
        { "sound_file", &ct_s_string, 0 },
        { "category", &ct_s_string, 0 },
        { "badge_count", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(0) }, 0 },
        { "ct_mediaUrl", &ct_s_string, 0 },
        { "ios_collapse", &string_or_int, 0 },
        { "subtitle", &ct_s_string, 0 },
        { "ct_ContentSlider", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "orientation", &CT_S_ENUM("landscape"), 0 },
              { "showsPaging", &ct_s_boolean, 0 },
              { "autoPlay", &ct_s_boolean, 0 },
              { "autoDismiss", &ct_s_boolean, 0 },
              { "items", &(const ct_schema){ .kind = CT_K_ARRAY, .min_items = 1,
                    .items = &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
                        { "caption", &ct_s_string, 0 },
                        { "subcaption", &ct_s_string, 0 },
                        { "imageUrl", &ct_s_nonempty, CT_REQUIRED },
                        { "actionUrl", &ct_s_string, 0 },
                        CT_FIELDS_END } } }, CT_REQUIRED },
              CT_FIELDS_END } }, 0 },
        CT_FIELDS_END },
};

static const ct_schema android = {
    .kind = CT_K_OBJECT, .extra = &ct_s_scalar,
    .fields = (const ct_field[]){
        { "wzrk_cid", &ct_s_nonempty, 0 },
        { "wzrk_bc", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(0) }, 0 },
        { "wzrk_bi", &CT_S_ENUM("app icon", "notification icon"), 0 },
        { "badge_id", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(0) }, 0 },
        { "badge_icon", &CT_S_ENUM("app icon", "notification icon"), 0 },
        { "wzrk_acts", &wzrk_acts, 0 },
        { "wzrk_clr", &ct_s_string, 0 },
        { "background_image", &ct_s_string, 0 },
        { "notification_tray_priority", &CT_S_ENUM("max", "high", "default"), 0 },
        { "delivery_priority", &CT_S_ENUM("normal", "high"), 0 },
        { "android_collapse", &string_or_int, 0 },
        { "summary", &ct_s_string, 0 },
        { "subtitle", &ct_s_string, 0 },
        { "large_icon", &ct_s_string, 0 },
        { "default_sound", &ct_s_boolean, 0 },
        { "deep_link", &ct_s_string, 0 },
        CT_FIELDS_END },
};

/* Legacy doc: "acceptable platforms are android, ios, windows". */
static const ct_schema windows = {
    .kind = CT_K_OBJECT, .extra = &ct_s_scalar,
    .fields = (const ct_field[]){ { "deep_link", &ct_s_string, 0 }, CT_FIELDS_END },
};

const ct_schema ct_sc_push_platforms = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "ios", &ios, 0 },
        { "android", &android, 0 },
        { "windows", &windows, 0 },
        CT_FIELDS_END },
};

static const ct_schema webpush_ttl = { .kind = CT_K_INTEGER, CT_MIN(0) };

const ct_schema ct_sc_webpush_platforms = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "safari", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "deep_link", &ct_s_string, 0 },
              { "ttl", &webpush_ttl, 0 },
              CT_FIELDS_END } }, 0 },
        { "chrome", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "image", &ct_s_string, 0 },
              { "icon", &ct_s_string, 0 },
              { "deep_link", &ct_s_string, 0 },
              { "ttl", &webpush_ttl, 0 },
              { "require_interaction", &ct_s_boolean, 0 },
              { "cta_title1", &ct_s_string, 0 },
              { "cta_link1", &ct_s_string, 0 },
              { "cta_iconlink1", &ct_s_string, 0 },
              { "cta_title2", &ct_s_string, 0 },
              { "cta_link2", &ct_s_string, 0 },
              { "cta_iconlink2", &ct_s_string, 0 },
              CT_FIELDS_END } }, 0 },
        { "firefox", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "icon", &ct_s_string, 0 },
              { "deep_link", &ct_s_string, 0 },
              { "ttl", &webpush_ttl, 0 },
              CT_FIELDS_END } }, 0 },
        { "kaios", &(const ct_schema){ .kind = CT_K_OBJECT, .fields = (const ct_field[]){
              { "icon", &ct_s_string, 0 },
              { "ttl", &webpush_ttl, 0 },
              { "kaiosKV", &(const ct_schema){ .kind = CT_K_MAP, .values = &ct_s_scalar }, 0 },
              CT_FIELDS_END } }, 0 },
        CT_FIELDS_END },
};


/* ---- channel content (targets/create and send/<channel>) ------------------ */

const ct_schema ct_sc_push_content = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "title", &ct_s_nonempty, CT_REQUIRED },
        { "body", &ct_s_nonempty, CT_REQUIRED },
        { "platform_specific", &ct_sc_push_platforms, 0 },
        CT_FIELDS_END },
};

const ct_schema ct_sc_webpush_content = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){
        { "title", &ct_s_nonempty, CT_REQUIRED },
        { "body", &ct_s_nonempty, CT_REQUIRED },
        { "platform_specific", &ct_sc_webpush_platforms, 0 },
        CT_FIELDS_END },
};
/* clang-format on */
