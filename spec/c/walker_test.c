/* Unit test of the validator's walker against a private schema that uses
 * every kind, format, flag and rule of ct_schema.h (independent of the
 * endpoint tables). Built and run by spec/c/walker_test.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_encode.h"
#include "ct_json.h"
#include "ct_problems.h"
#include "ct_walk.h"

static int failures, checks;

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        failures++;                                                                                                    \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                           \
        fprintf(stderr, __VA_ARGS__);                                                                                  \
        fputc('\n', stderr);                                                                                           \
    } while (0)

/* ---- the private schema ---------------------------------------------------------- */

static void check_pair_order(ct_check *cx, const ct_value *v, const ct_rule *rule)
{
    const ct_value *a = ct_obj_get(v, "lo"), *b = ct_obj_get(v, "hi");
    if (a && b && a->type == CT_V_INT && b->type == CT_V_INT && a->u.i > b->u.i)
        ct_check_report(cx, "/hi", "expected hi >= lo (%lld), got %lld", (long long)a->u.i, (long long)b->u.i);
    if (a && a->type == CT_V_INT && a->u.i == 13) ct_check_warning(cx, "", "unlucky lo (now=%lld)", ct_check_now(cx));
    if (a && a->type == CT_V_INT && a->u.i == 7) ct_check_walk(cx, "/lo", a, &(const ct_schema){ .kind = CT_K_STRING });
}

static const ct_schema date_int = { .kind = CT_K_INTEGER, .format = CT_FMT_DATE };
static const ct_schema hhmm = { .kind = CT_K_STRING, .format = CT_FMT_TIME };
static const ct_schema pair = { .kind = CT_K_ARRAY, .items = &hhmm, .min_items = 2, .max_items = 2 };

static const ct_schema later = { .kind = CT_K_OBJECT,
                                 .fields = (const ct_field[]){
                                     { "at",
                                       &(const ct_schema){ .kind = CT_K_ARRAY,
                                                           .min_items = 1,
                                                           .flags = CT_S_ASCENDING,
                                                           .items = &(const ct_schema){ .kind = CT_K_STRING,
                                                                                        .format = CT_FMT_DATETIME,
                                                                                        .flags = CT_S_FUTURE } },
                                       CT_REQUIRED },
                                     CT_FIELDS_END } };
static const ct_schema recurring = {
    .kind = CT_K_OBJECT,
    .fields =
        (const ct_field[]){ { "repeat_type", &CT_S_ENUM("day", "week"), CT_REQUIRED },
                            { "days",
                              &(const ct_schema){ .kind = CT_K_ARRAY,
                                                  .flags = CT_S_UNIQUE,
                                                  .items = &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(1, 7) } },
                              0 },
                            { "end_by_date", &ct_s_date, 0 },
                            { "end_by_occurrences", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(1) }, 0 },
                            CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_EXCLUSIVE("end_by_date", "end_by_occurrences"),
                                CT_REQUIRED_IF("days", "repeat_type", "week"), CT_RULES_END }
};
static const ct_schema when_obj = {
    .kind = CT_K_VARIANT,
    .discriminator = "type",
    .variants =
        (const ct_variant[]){ { "now", NULL }, { "later", &later }, { "recurring", &recurring }, CT_VARIANTS_END },
    .fields = (const ct_field[]){ { "dnd",
                                    &(const ct_schema){
                                        .kind = CT_K_MAP,
                                        .keys = &(const ct_schema){ .kind = CT_K_STRING,
                                                                    .enums = CT_ENUM("1", "2", "3", "4", "5", "6", "7"),
                                                                    .expect = "a day \"1\"-\"7\"" },
                                        .values = &pair },
                                    0 },
                                  { "cutoff", &hhmm, 0 },
                                  CT_FIELDS_END }
};
static const ct_schema when = { .kind = CT_K_ONEOF,
                                .alts = (const ct_schema *const[]){ &CT_S_ENUM("now"),
                                                                    &(const ct_schema){ .kind = CT_K_STRING,
                                                                                        .format = CT_FMT_DATETIME,
                                                                                        .flags = CT_S_FUTURE },
                                                                    &when_obj, NULL } };

static const ct_schema op = { .kind = CT_K_STRING, .enums = CT_ENUM("equals", "between", "exists") };
static const ct_schema prop = { .kind = CT_K_OBJECT,
                                .fields = (const ct_field[]){ { "name", &ct_s_nonempty, CT_REQUIRED },
                                                              { "operator", &op, CT_REQUIRED },
                                                              { "value", &ct_s_scalar, 0 },
                                                              CT_FIELDS_END },
                                .rules =
                                    (const ct_rule[]){ CT_REQUIRED_IF("value", "operator", "!exists"),
                                                       CT_FORBIDDEN_IF("value", "operator", "exists"), CT_RULES_END } };
static const ct_schema legacy_prop = { .kind = CT_K_OBJECT,
                                       .fields = (const ct_field[]){ { "Key", &ct_s_nonempty, CT_REQUIRED },
                                                                     { "value", &ct_s_scalar, CT_REQUIRED },
                                                                     CT_FIELDS_END },
                                       .note = "legacy {Key, value} shape" };
static const ct_schema between_value = { .kind = CT_K_ARRAY, .min_items = 2, .max_items = 2, .items = &ct_s_number };
static const ct_schema prop_value_any = {
    .kind = CT_K_OBJECT,
    .fields = (const ct_field[]){ { "name", &ct_s_string, CT_REQUIRED },
                                  { "operator", &op, CT_REQUIRED },
                                  { "value", &ct_s_any, 0 },
                                  CT_FIELDS_END },
    .rules = (const ct_rule[]){ CT_MATCH_IF("value", "operator", "between", &between_value), CT_RULES_END }
};

static const ct_schema content_push = { .kind = CT_K_OBJECT,
                                        .fields = (const ct_field[]){ { "title", &ct_s_nonempty, CT_REQUIRED },
                                                                      { "body", &ct_s_string, CT_REQUIRED },
                                                                      CT_FIELDS_END } };
static const ct_schema content_sms = { .kind = CT_K_OBJECT,
                                       .fields =
                                           (const ct_field[]){ { "body", &ct_s_string, CT_REQUIRED }, CT_FIELDS_END } };
static const ct_schema mode_push = { .kind = CT_K_OBJECT,
                                     .fields = (const ct_field[]){ { "content", &content_push, CT_REQUIRED },
                                                                   { "badge", &ct_s_integer, 0 },
                                                                   CT_FIELDS_END } };
static const ct_schema mode_sms = {
    .kind = CT_K_OBJECT,
    .fields =
        (const ct_field[]){ { "content", &content_sms, CT_REQUIRED },
                            { "title_required",
                              &(const ct_schema){ .kind = CT_K_STRING, .missing = "missing: only doc B requires it" },
                              CT_REQUIRED_SOFT },
                            CT_FIELDS_END }
};

static const ct_schema kv = { .kind = CT_K_OBJECT,
                              .fields = (const ct_field[]){ { "deep_link", &ct_s_string, 0 }, CT_FIELDS_END },
                              .extra = &ct_s_scalar };

static const ct_schema root = {
    .kind = CT_K_VARIANT,
    .discriminator = "mode",
    .default_variant = "push",
    .variants = (const ct_variant[]){ { "push", &mode_push }, { "sms", &mode_sms }, CT_VARIANTS_END },
    .fields =
        (const ct_field[]){
            { "name", &(const ct_schema){ .kind = CT_K_STRING, .min_chars = 1, .max_chars = 5 }, CT_REQUIRED },
            { "when", &when, 0 },
            { "props",
              &(const ct_schema){
                  .kind = CT_K_ARRAY,
                  .items = &(const ct_schema){ .kind = CT_K_ONEOF,
                                               .alts = (const ct_schema *const[]){ &prop, &legacy_prop, NULL } } },
              0 },
            { "between", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &prop_value_any }, 0 },
            { "limit", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(100) }, 0 },
            { "cap", &(const ct_schema){ .kind = CT_K_INTEGER, CT_MIN(100) }, 0 },
            { "ratio", &(const ct_schema){ .kind = CT_K_NUMBER, CT_RANGE(0, 1) }, 0 },
            { "stamp", &(const ct_schema){ .kind = CT_K_INTEGER, .format = CT_FMT_STAMP12 }, 0 },
            { "epoch", &(const ct_schema){ .kind = CT_K_INTEGER, .format = CT_FMT_EPOCH, .flags = CT_S_FUTURE_WARN },
              0 },
            { "day", &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(0, 6), .flags = CT_S_SOFT }, 0 },
            { "props_map",
              &(const ct_schema){ .kind = CT_K_MAP,
                                  .keys = &(const ct_schema){ .kind = CT_K_STRING, .max_chars = 4 },
                                  .values = &(const ct_schema){ .kind = CT_K_STRING, .max_bytes = 3 } },
              0 },
            { "kv", &kv, 0 },
            { "flag", &ct_s_boolean, 0 },
            { "nothing", &(const ct_schema){ .kind = CT_K_NULL }, CT_NULLABLE },
            { "span",
              &(const ct_schema){
                  .kind = CT_K_OBJECT,
                  .fields =
                      (const ct_field[]){ { "from", &date_int, 0 },
                                          { "to", &date_int, 0 },
                                          { "start", &ct_s_datetime, 0 },
                                          { "end", &ct_s_datetime, 0 },
                                          { "last_day", &ct_s_date, 0 },
                                          { "where", &ct_s_object, 0 },
                                          { "segment", &ct_s_integer, CT_NULLABLE },
                                          CT_FIELDS_END },
                  .rules =
                      (const ct_rule[]){
                          { .kind = CT_R_NOT_BEFORE, .field = "to", .other = "from", .schema = &date_int },
                          CT_NOT_BEFORE("end", "start"),
                          CT_NOT_BEFORE("last_day", "start"),
                          CT_REQUIRED_UNLESS("where", "segment"),
                          CT_RULES_END } },
              0 },
            { "pair",
              &(const ct_schema){
                  .kind = CT_K_OBJECT,
                  .fields = (const ct_field[]){ { "lo", &ct_s_integer, 0 }, { "hi", &ct_s_integer, 0 }, CT_FIELDS_END },
                  .rules = (const ct_rule[]){ CT_CHECK(check_pair_order), CT_RULES_END } },
              0 },
            { "list", &(const ct_schema){ .kind = CT_K_ARRAY }, 0 },
            { "tags", &(const ct_schema){ .kind = CT_K_ARRAY, .flags = CT_S_UNIQUE, .items = &ct_s_string }, 0 },
            { "wdays",
              &(const ct_schema){
                  .kind = CT_K_ARRAY,
                  .flags = CT_S_UNIQUE_WARN,
                  .items = &(const ct_schema){ .kind = CT_K_INTEGER, CT_RANGE(1, 7) } },
              0 },
            { "obj", &ct_s_object, 0 },
            { "to",
              &(const ct_schema){
                  .kind = CT_K_OBJECT,
                  .fields =
                      (const ct_field[]){
                          { "Identity", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &ct_s_nonempty }, 0 },
                          { "Email", &(const ct_schema){ .kind = CT_K_ARRAY, .items = &ct_s_nonempty }, 0 },
                          CT_FIELDS_END },
                  .rules = (const ct_rule[]){ CT_AT_LEAST_ONE_OF("Identity", "Email"), CT_RULES_END } },
              CT_REQUIRED },
            CT_FIELDS_END },
    .rules =
        (const ct_rule[]){
            { .kind = CT_R_EXCLUSIVE, .field = "limit", .other = "cap", .severity = CT_SEVERITY_WARNING },
            CT_RULES_END }
};

/* ---- harness ------------------------------------------------------------------- */

#define NOW 1700000000LL /* 2023-11-14 */

typedef struct {
    ct_problems *p;
    char *json;
    size_t len;
} result;

static result run(const char *json, const char *without)
{
    result r = { 0 };
    ct_vopts o = { .now = NOW, .without = without };
    r.p = ct_problems_new(0);
    ct_arena *a = ct_arena_new();
    void *keep;
    ct_value *v = ct_json_parse(a, json, strlen(json), r.p, &keep);
    if (v) {
        ct_walk(v, &root, &o, r.p);
        if (ct_problems_errors(r.p) == 0) {
            ct_sb b;
            ct_sb_init(&b);
            if (ct_encode(v, without, &b) == 0) {
                ct_sb_cstr(&b);
                r.json = b.p;
                r.len = b.len;
            } else {
                ct_sb_free(&b);
            }
        }
    }
    ct_json_release(keep);
    ct_arena_free(a);
    return r;
}

static void dump(const result *r)
{
    for (size_t i = 0; i < ct_problems_count(r->p); i++) {
        const ct_problem *q = ct_problems_get(r->p, i);
        fprintf(stderr, "    %s %s: %s\n", q->severity ? "W" : "E", q->pointer, q->message);
    }
}

/* Expect exactly these problems (in any order): "E /ptr|message substring". */
static void expect(const char *json, const char *const *want, const char *line_hint, int line)
{
    result r = run(json, NULL);
    size_t nwant = 0;
    while (want[nwant]) nwant++;
    int used[64] = { 0 };
    int ok = 1;
    for (size_t w = 0; w < nwant; w++) {
        char sev = want[w][0];
        const char *ptr = want[w] + 2;
        const char *bar = strchr(ptr, '|');
        size_t plen = (size_t)(bar - ptr);
        const char *msg = bar + 1;
        int found = 0;
        for (size_t i = 0; i < ct_problems_count(r.p) && i < 64; i++) {
            const ct_problem *q = ct_problems_get(r.p, i);
            if (used[i]) continue;
            if ((q->severity == CT_SEVERITY_ERROR) != (sev == 'E')) continue;
            if (strlen(q->pointer) != plen || memcmp(q->pointer, ptr, plen) != 0) continue;
            if (!strstr(q->message, msg)) continue;
            used[i] = 1;
            found = 1;
            break;
        }
        if (!found) {
            ok = 0;
            fprintf(stderr, "FAIL line %d (%s): missing %s\n", line, line_hint, want[w]);
        }
    }
    if (ct_problems_count(r.p) != nwant) {
        ok = 0;
        fprintf(stderr, "FAIL line %d (%s): %zu problems, expected %zu\n", line, line_hint, ct_problems_count(r.p),
                nwant);
    }
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "  payload: %s\n  got:\n", json);
        dump(&r);
    }
    free(r.json);
    ct_problems_free(r.p);
}

#define EXPECT(json, ...) expect(json, (const char *const[]){ __VA_ARGS__, NULL }, #json, __LINE__)
#define VALID(json) expect(json, (const char *const[]){ NULL }, #json, __LINE__)

static void expect_encoded(const char *json, const char *without, const char *want, int line)
{
    result r = run(json, without);
    checks++;
    if (!r.json || strcmp(r.json, want) != 0) {
        failures++;
        fprintf(stderr, "FAIL line %d: encoded\n  %s\nexpected\n  %s\n", line, r.json ? r.json : "(null)", want);
        dump(&r);
    }
    free(r.json);
    ct_problems_free(r.p);
}
#define ENCODED(json, want) expect_encoded(json, NULL, want, __LINE__)

#define T "\"to\":{\"Identity\":[\"a\"]}"

int main(void)
{
    /* valid, with defaults */
    VALID("{" T ",\"name\":\"ab\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}");
    VALID("{" T ",\"name\":\"ab\",\"mode\":\"sms\",\"title_required\":\"x\",\"content\":{\"body\":\"b\"}}");

    /* required members, soft required, unknown members with did-you-mean */
    EXPECT("{" T ",\"mode\":\"sms\",\"content\":{\"bdy\":\"b\"},\"nmae\":\"x\"}",
           "E /name|name: missing required member", "W /title_required|title_required: missing: only doc B requires it",
           "E /content/body|content.body: missing required member",
           "W /content/bdy|content.bdy: unknown member (did you mean \"body\"?)", "W /nmae|did you mean \"name\"?");
    EXPECT("{" T ",\"name\":\"ab\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"zzzzzz\":1}",
           "W /zzzzzz|zzzzzz: unknown member (not in the API reference)");

    /* an integral number beyond int64 cannot be written without an exponent: refused */
    EXPECT("{" T ",\"name\":\"ab\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"zzzzzz\":[1e22,-9.3e18,0.5]}",
           "W /zzzzzz|unknown member",
           "E /zzzzzz/0|zzzzzz[0]: expected a number that can be written exactly, got 1e+22",
           "E /zzzzzz/1|outside the int64 range");

    /* discriminator: unknown value with suggestion, wrong type */
    EXPECT("{" T ",\"name\":\"ab\",\"mode\":\"pussh\",\"content\":{}}",
           "E /mode|expected one of \"push\", \"sms\", got \"pussh\" (did you mean \"push\"?)",
           "W /content|content: not checked: mode is invalid"); /* documented for a mode, not unknown */
    EXPECT("{" T ",\"name\":\"ab\",\"mode\":3}", "E /mode|expected one of \"push\", \"sms\", got 3");

    /* strings: length in characters, bytes; types */
    EXPECT("{" T ",\"name\":\"\",\"content\":{\"title\":\" \",\"body\":7}}",
           "E /name|expected a non-empty string, got \"\"", "E /content/title|expected a non-empty string, got \" \"",
           "E /content/body|expected a string, got 7");
    VALID("{" T ",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}");
    EXPECT("{" T ",\"name\":\"abcdef\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}",
           "E /name|expected at most 5 characters, got 6");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"props_map\":{\"abcde\":\"1234\",\"a/"
           "b~\":\"x\"}}",
           "E /props_map/abcde|invalid key: expected at most 4 characters, got 5",
           "E /props_map/abcde|expected at most 3 bytes, got 4 bytes");

    /* numbers: ranges, integers vs floats, soft ranges */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"limit\":99,\"ratio\":1.5,\"day\":7,"
           "\"badge\":1.5}",
           "E /limit|expected an integer >= 100, got 99", "E /ratio|expected a number from 0 to 1, got 1.5",
           "W /day|expected an integer from 0 to 6, got 7", "E /badge|expected an integer, got 1.5");
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"badge\":2.0,\"ratio\":0}");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"day\":\"x\"}",
           "E /day|expected an integer from 0 to 6, got \"x\"");

    /* exclusive (warning severity) */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"limit\":100,\"cap\":200}",
           "W /cap|cap: cannot be combined with \"limit\"");

    /* formats: stamp12, epoch in the future (warning) */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"stamp\":202213010000,"
           "\"epoch\":1600000000}",
           "E /stamp|expected a yyyyMMddHHmm number (like 202207200000), got 202213010000 (there is no month 13)",
           "W /epoch|expected a time in the future, got 1600000000 (already past)");
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"stamp\":202402292359,"
          "\"epoch\":1699990000}");

    /* ONEOF: "now" | "YYYYMMDD HH:MM" | object (VARIANT) */
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"now\"}");
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"20240101 10:00\"}");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"soon\"}",
           "E /when|expected \"now\" or a date and time \"YYYYMMDD HH:MM\" or an object, got \"soon\"");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"20230230 10:00\"}",
           "E /when|expected a date and time \"YYYYMMDD HH:MM\", got \"20230230 10:00\" (February 2023 has 28 days)");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"20200101 10:00\"}",
           "E /when|expected a time in the future, got \"20200101 10:00\" (already past)");
    /* within the 14 h slack: accepted */
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":\"20231114 09:00\"}");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{}}",
           "E /when/type|when.type: missing required member (one of \"now\", \"later\", \"recurring\")");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"later\","
           "\"at\":[\"20240102 10:00\",\"20240101 10:00\",\"20240101 25:00\"],\"cutoff\":\"24:00\","
           "\"dnd\":{\"2\":[\"21:00\",\"06:00\"],\"9\":[\"1:00\"]}}}",
           "E /when/at/1|expected a value after \"20240102 10:00\" (items must be in increasing order), got \"20240101 "
           "10:00\"",
           "E /when/at/2|expected a date and time \"YYYYMMDD HH:MM\", got \"20240101 25:00\" (hours go from 00 to 23)",
           "E /when/cutoff|expected HH:MM (00:00-23:59), got \"24:00\"",
           "E /when/dnd/9|when.dnd.9: invalid key: expected a day \"1\"-\"7\", got \"9\"",
           "E /when/dnd/9|expected exactly 2 items, got 1",
           "E /when/dnd/9/0|when.dnd.9[0]: expected HH:MM (00:00-23:59), got \"1:00\"");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"later\"}}",
           "E /when/at|when.at: missing required member");
    /* recurring: exclusive (error), required_if, unique, date format */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"recurring\","
           "\"repeat_type\":\"week\",\"end_by_date\":\"20230229\",\"end_by_occurrences\":3}}",
           "E /when/days|when.days: missing, required when repeat_type is \"week\"",
           "E /when/end_by_date|expected a date YYYYMMDD, got \"20230229\" (February 2023 has 28 days)",
           "E /when/end_by_occurrences|when.end_by_occurrences: cannot be combined with \"end_by_date\"");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"recurring\","
           "\"repeat_type\":\"week\",\"days\":[1,3,1,8],\"end_by_date\":20240229}}",
           "E /when/days/3|expected an integer from 1 to 7, got 8", "E /when/days/2|duplicate item (same as item 0)",
           /* a STRING date given an integer: the field is typed String */
           "E /when/end_by_date|when.end_by_date: expected a string \"YYYYMMDD\", got 20240229 (an integer");
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"recurring\","
          "\"repeat_type\":\"week\",\"days\":[1],\"end_by_date\":\"20240229\"}}");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"when\":{\"type\":\"now\",\"at\":[]}}",
           "W /when/at|when.at: only used when type is \"later\" (ignored here: type is \"now\")");

    /* unique over a long array (sorted path) */
    /* CT_S_UNIQUE_WARN: duplicates warned, the items' own range still an error */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"wdays\":[2,9,2]}",
           "W /wdays/2|wdays[2]: duplicate item (same as item 0)",
           "E /wdays/1|wdays[1]: expected an integer from 1 to 7");
    {
        ct_sb b;
        ct_sb_init(&b);
        ct_sb_adds(&b, "{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"tags\":[");
        for (int i = 0; i < 40; i++) ct_sb_printf(&b, "%s\"t%d\"", i ? "," : "", i == 35 || i == 39 ? 3 : i);
        ct_sb_adds(&b, "]}");
        expect(ct_sb_cstr(&b),
               (const char *const[]){ "E /tags/35|duplicate item (same as item 3)",
                                      "E /tags/39|duplicate item (same as item 3)", NULL },
               "unique 40", __LINE__);
        ct_sb_free(&b);
    }

    /* ONEOF of objects: both profile field shapes; legacy note; best alternative reported */
    VALID("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
          "\"props\":[{\"name\":\"n\",\"operator\":\"equals\",\"value\":\"v\"},{\"name\":\"n\",\"operator\":\"exists\"}"
          "]}");
    EXPECT("{" T
           ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"props\":[{\"Key\":\"k\",\"value\":1}]}",
           "W /props/0|props[0]: legacy {Key, value} shape");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
           "\"props\":[{\"name\":\"n\",\"operator\":\"equal\",\"value\":1},{\"name\":\"n\",\"operator\":\"equals\"},"
           "{\"name\":\"n\",\"operator\":\"exists\",\"value\":2},5]}",
           "E /props/0/operator|got \"equal\" (did you mean \"equals\"?)",
           "E /props/1/value|props[1].value: missing, required when operator is \"equals\"",
           "E /props/2/value|props[2].value: not allowed when operator is \"exists\"",
           "E /props/3|expected an object, got 5");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
           "\"props\":[{\"name\":\"n\"}]}",
           "E /props/0/value|props[0].value: missing, required unless operator is \"exists\"",
           "E /props/0/operator|props[0].operator: missing required member");
    /* MATCH_IF */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
           "\"between\":[{\"name\":\"n\",\"operator\":\"between\",\"value\":[1]},"
           "{\"name\":\"n\",\"operator\":\"between\",\"value\":[1,2]},{\"name\":\"n\",\"operator\":\"equals\","
           "\"value\":[1]}]}",
           "E /between/0/value|expected exactly 2 items, got 1");

    /* NOT_BEFORE: dates by day, date-times by minute, mixed by day; values that
     * do not parse or do not match .schema are not compared. REQUIRED_UNLESS. */
#define S "{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"span\":"
    EXPECT(S "{\"from\":20240105,\"to\":20240104,\"segment\":1}}",
           "E /span/to|span.to: expected a day on or after \"from\" (20240105), got 20240104");
    VALID(S "{\"from\":20240105,\"to\":20240105,\"segment\":1}}");
    /* a string from: the node and .schema say no, so no comparison */
    EXPECT(S "{\"from\":\"20240105\",\"to\":20240104,\"segment\":1}}",
           "E /span/from|span.from: expected a date YYYYMMDD, got \"20240105\"");
    EXPECT(S "{\"start\":\"20240105 10:00\",\"end\":\"20240105 09:59\",\"where\":{}}}",
           "E /span/end|span.end: expected a time on or after \"start\" (20240105 10:00), got 20240105 09:59");
    VALID(S "{\"start\":\"20240105 10:00\",\"end\":\"20240105 10:00\",\"last_day\":\"20240105\",\"where\":{}}}");
    EXPECT(S "{\"start\":\"20240105 10:00\",\"last_day\":\"20240104\",\"where\":{}}}",
           "E /span/last_day|span.last_day: expected a day on or after the day of \"start\" (20240105), got 20240104");
    EXPECT(S "{\"start\":\"20240105 10:00\",\"last_day\":\"20240230\",\"where\":{}}}",
           "E /span/last_day|span.last_day: expected a date YYYYMMDD");
    EXPECT(S "{}}", "E /span/where|span.where: missing, required unless \"segment\" is given");
    EXPECT(S "{\"segment\":null}}", "E /span/where|span.where: missing, required unless \"segment\" is given");
    EXPECT(S "{\"where\":null,\"segment\":null}}", "E /span/where|span.where: expected an object, got null");
#undef S

    /* CHECK callbacks: report at relative pointers, warnings, walk */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"pair\":{\"lo\":13,\"hi\":2}}",
           "E /pair/hi|pair.hi: expected hi >= lo (13), got 2", "W /pair|unlucky lo (now=1700000000)");
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"pair\":{\"lo\":7}}",
           "E /pair/lo|expected a string, got 7");

    /* extra members (custom key-values), null, nullable, booleans */
    EXPECT("{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"kv\":{\"deep_link\":\"x\",\"Key\":1,"
           "\"K2\":{}},\"flag\":\"true\",\"nothing\":null}",
           "E /kv/K2|expected a string, a number or a boolean, got an object",
           "E /flag|expected true or false, got \"true\"");

    /* AT_LEAST_ONE_OF and pointer escaping */
    EXPECT("{\"to\":{\"a/b\":[],\"m~n\":1},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}",
           "E /to|expected at least one of \"Identity\", \"Email\"", "W /to/a~1b|to.a/b: unknown member",
           "W /to/m~0n|to.m~n: unknown member");
    EXPECT("{\"to\":{\"Identity\":[\"\",\"x\"]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}",
           "E /to/Identity/0|to.Identity[0]: expected a non-empty string, got \"\"");

    /* JSON-level problems */
    EXPECT("{\"a\":1,\"a\":2}", "E |invalid JSON at line 1");
    EXPECT("[1,2]", "E |expected an object, got an array of 2 items");
    EXPECT("{\"s\":\"\\ud800\"}", "E |invalid JSON");
    {
        /* depth limit: 64 levels (the payload is one) anywhere, unknown members included */
        for (int levels = 63; levels <= 64; levels++) {
            char deep[600];
            size_t o = 0;
            o += (size_t)sprintf(deep + o,
                                 "{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"zzzzzz\":");
            for (int i = 0; i < levels; i++) deep[o++] = '[';
            for (int i = 0; i < levels; i++) deep[o++] = ']';
            deep[o++] = '}';
            deep[o] = 0;
            result r = run(deep, NULL);
            checks++;
            const ct_problem *e = NULL;
            for (size_t i = 0; i < ct_problems_count(r.p); i++)
                if (ct_problems_get(r.p, i)->severity == CT_SEVERITY_ERROR) e = ct_problems_get(r.p, i);
            int ok = levels == 63 ? ct_problems_errors(r.p) == 0
                                  : ct_problems_errors(r.p) == 1 && e &&
                                        strstr(e->message, "more than 64 levels (a limit for the whole payload") &&
                                        e->pointer_len == strlen("/zzzzzz") + 63 * 2;
            if (!ok) {
                failures++;
                fprintf(stderr, "FAIL depth limit at %d levels under an unknown member\n", levels + 1);
                dump(&r);
            }
            free(r.json);
            ct_problems_free(r.p);
        }
    }
    {
        /* depth limit */
        char deep[600];
        size_t o = 0;
        o += (size_t)sprintf(deep + o, "{" T ",\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"list\":");
        for (int i = 0; i < 70; i++) deep[o++] = '[';
        for (int i = 0; i < 70; i++) deep[o++] = ']';
        deep[o++] = '}';
        deep[o] = 0;
        result r = run(deep, NULL);
        checks++;
        if (ct_problems_errors(r.p) != 1 || !strstr(ct_problems_get(r.p, 0)->message, "nested too deeply")) {
            failures++;
            fprintf(stderr, "FAIL depth limit\n");
            dump(&r);
        }
        ct_problems_free(r.p);
    }

    /* encoder: sorted keys, integers, numbers, escapes, empty tables by schema */
    ENCODED("{\"to\":{\"Identity\":[\"a\"]},\"name\":\"a\",\"content\":{\"title\":\"t\\u0001\\\"\\\\/\\n\xc3\xa9\","
            "\"body\":\"b\"},\"stamp\":202207200000,\"ratio\":0.1,\"list\":[],\"obj\":{},\"badge\":3.0}",
            "{\"badge\":3,\"content\":{\"body\":\"b\",\"title\":\"t\\u0001\\\"\\\\/"
            "\\n\xc3\xa9\"},\"list\":[],\"name\":\"a\","
            "\"obj\":{},\"ratio\":0.1,\"stamp\":202207200000,\"to\":{\"Identity\":[\"a\"]}}");
    ENCODED(
        "{\"to\":{\"Identity\":[\"a\"]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
        "\"ratio\":1e-7,\"kv\":{\"x\":-9223372036854775808,\"y\":9223372036854775807,\"z\":1.5e-300}}",
        "{\"content\":{\"body\":\"b\",\"title\":\"t\"},\"kv\":{\"x\":-9223372036854775808,\"y\":9223372036854775807,"
        "\"z\":1.5e-300},\"name\":\"a\",\"ratio\":1e-07,\"to\":{\"Identity\":[\"a\"]}}");
    /* EMPTY values decided by the schema */
    {
        ct_arena *a = ct_arena_new();
        ct_value *obj = ct_arena_alloc(a, sizeof *obj);
        ct_value *e1 = ct_arena_alloc(a, sizeof *e1), *e2 = ct_arena_alloc(a, sizeof *e2),
                 *e3 = ct_arena_alloc(a, sizeof *e3), *e4 = ct_arena_alloc(a, sizeof *e4);
        ct_value *name = ct_arena_alloc(a, sizeof *name);
        *e1 = (ct_value){ .type = CT_V_EMPTY, .empty_as = CT_V_EMPTY };
        *e2 = *e1;
        *e3 = *e1;
        *e4 = *e1;
        *name = (ct_value){ .type = CT_V_STR };
        name->u.str.s = "a";
        name->u.str.len = 1;
        ct_member *m = ct_arena_alloc(a, 5 * sizeof *m);
        m[0] = (ct_member){ "content", 7, e1 };
        m[1] = (ct_member){ "list", 4, e2 };
        m[2] = (ct_member){ "name", 4, name };
        m[3] = (ct_member){ "obj", 3, e3 };
        m[4] = (ct_member){ "to", 2, e4 };
        *obj = (ct_value){ .type = CT_V_OBJ };
        obj->u.obj.members = m;
        obj->u.obj.n = 5;
        ct_problems *p = ct_problems_new(0);
        ct_vopts o = { .now = NOW };
        ct_walk(obj, &root, &o, p);
        ct_sb b;
        ct_sb_init(&b);
        ct_encode(obj, NULL, &b);
        const char *want = "{\"content\":{},\"list\":[],\"name\":\"a\",\"obj\":{},\"to\":{}}";
        checks++;
        if (strcmp(ct_sb_cstr(&b), want) != 0 || ct_problems_errors(p) != 3) {
            failures++;
            fprintf(stderr, "FAIL empty tables: %s (%zu errors)\n", ct_sb_cstr(&b), ct_problems_errors(p));
        }
        ct_sb_free(&b);
        ct_problems_free(p);
        ct_arena_free(a);
    }

    /* without = "to": present and valid, not walked, not encoded; prepend */
    {
        const char *j = "{\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}";
        expect_encoded(j, "to", "{\"content\":{\"body\":\"b\",\"title\":\"t\"},\"name\":\"a\"}", __LINE__);
        expect_encoded("{\"to\":5,\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}", "to",
                       "{\"content\":{\"body\":\"b\",\"title\":\"t\"},\"name\":\"a\"}", __LINE__);
        size_t n;
        char *s = ct_json_prepend_member("to", "{\"Identity\":[\"x\"]}", 18, "{\"name\":\"a\"}", 12, &n);
        checks++;
        if (!s || strcmp(s, "{\"to\":{\"Identity\":[\"x\"]},\"name\":\"a\"}") != 0 || n != strlen(s)) {
            failures++;
            fprintf(stderr, "FAIL prepend: %s\n", s ? s : "(null)");
        }
        free(s);
        s = ct_json_prepend_member("to", "1", 1, "{}", 2, &n);
        checks++;
        if (!s || strcmp(s, "{\"to\":1}") != 0) {
            failures++;
            fprintf(stderr, "FAIL prepend empty: %s\n", s ? s : "(null)");
        }
        free(s);
    }

    /* a member name holding NUL (Lua keys can): the pointer keeps it, with its length */
    {
        static const char key[] = "zz\0/y";
        ct_value str = { .type = CT_V_STR }, one = { .type = CT_V_INT };
        str.u.str.s = "x";
        str.u.str.len = 1;
        one.u.i = 1;
        ct_member m[2] = { { .key = "name", .klen = 4, .val = &str },
                           { .key = key, .klen = sizeof key - 1, .val = &one } };
        ct_value obj = { .type = CT_V_OBJ };
        obj.u.obj.members = m;
        obj.u.obj.n = 2;
        ct_obj_sort(&obj);
        ct_problems *p = ct_problems_new(0);
        ct_vopts o = { .now = NOW };
        ct_walk(&obj, &root, &o, p);
        int found = 0;
        for (size_t i = 0; i < ct_problems_count(p); i++) {
            const ct_problem *q = ct_problems_get(p, i);
            if (q->pointer_len == 7 && memcmp(q->pointer, "/zz\0~1y", 7) == 0 && strstr(q->message, "unknown member") &&
                strlen(q->message) > 0 && strstr(q->message, "\\x00"))
                found = 1;
            if (q->pointer_len != strlen(q->pointer) && !(q->pointer_len == 7 && q->pointer[3] == '\0')) found = -99;
        }
        checks++;
        if (found != 1) {
            failures++;
            fprintf(stderr, "FAIL NUL in a member name: pointer not exact\n");
            for (size_t i = 0; i < ct_problems_count(p); i++)
                fprintf(stderr, "    %zu %s\n", ct_problems_get(p, i)->pointer_len, ct_problems_get(p, i)->message);
        }
        ct_problems_free(p);
    }

    /* every problem is kept by default; a cap only when asked, counted apart */
    {
        ct_sb b;
        ct_sb_init(&b);
        ct_sb_adds(&b, "{\"to\":{\"Identity\":[");
        for (int i = 0; i < 1500; i++) ct_sb_adds(&b, i ? ",\"\"" : "\"\"");
        ct_sb_adds(&b, "]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}");
        result r = run(ct_sb_cstr(&b), NULL);
        checks++;
        if (ct_problems_errors(r.p) != 1500 || ct_problems_count(r.p) != 1500 || ct_problems_not_shown(r.p) != 0 ||
            strcmp(ct_problems_get(r.p, 1499)->pointer, "/to/Identity/1499") != 0) {
            failures++;
            fprintf(stderr, "FAIL all problems: %zu errors, %zu kept\n", ct_problems_errors(r.p),
                    ct_problems_count(r.p));
        }
        ct_problems_free(r.p);
        ct_validate_opts capped = { .now = NOW, .max_problems = 10 };
        ct_problems *p = ct_validate_json("send/push", ct_sb_cstr(&b), b.len, &capped);
        checks++;
        if (!p || ct_problems_errors(p) != 1500 || ct_problems_count(p) != 10 || ct_problems_not_shown(p) != 1490 ||
            strcmp(ct_problems_get(p, 9)->pointer, "/to/Identity/9") != 0) {
            failures++;
            fprintf(stderr, "FAIL max problems: %zu errors, %zu kept, %zu not shown\n", ct_problems_errors(p),
                    ct_problems_count(p), ct_problems_not_shown(p));
        }
        ct_problems_free(p);
        ct_sb_free(&b);
    }

    /* public API: unknown endpoint */
    {
        ct_problems *p = ct_validate_json("nope", "{}", 2, NULL);
        checks++;
        if (ct_problems_errors(p) != 1 || !strstr(ct_problems_get(p, 0)->message, "unknown endpoint \"nope\"")) {
            failures++;
            fprintf(stderr, "FAIL unknown endpoint\n");
        }
        ct_problems_free(p);
        checks++;
        if (!ct_endpoint_known("send/push") || ct_endpoint_known("send/fax")) {
            failures++;
            fprintf(stderr, "FAIL ct_endpoint_known\n");
        }
    }

    /* readable paths in messages: members dotted, indexes [i], odd names
     * quoted, long names cut, the root "payload" */
    {
        static const struct {
            const char *json, *pointer, *starts;
        } cases[] = {
            { "{\"to\":{\"Identity\":[\"a\"]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},\"a.b\":{"
              "\"x\":1}}",
              "/a.b", "payload[\"a.b\"]: unknown member" },
            { "{\"to\":{\"Identity\":[\"a\"]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\",\"q\\\"\":1}}",
              "/content/q\"", "content[\"q\\\"\"]: unknown member" },
            { "{\"to\":{\"Identity\":[\"a\"]},\"name\":\"a\",\"content\":{\"title\":\"t\",\"body\":\"b\"},"
              "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":1}",
              "/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
              "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...: unknown member" },
            { "[1]", "", "payload: expected an object, got an array" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            result r = run(cases[i].json, NULL);
            int found = 0;
            for (size_t k = 0; k < ct_problems_count(r.p); k++) {
                const ct_problem *q = ct_problems_get(r.p, k);
                if (strcmp(q->pointer, cases[i].pointer) == 0 &&
                    strncmp(q->message, cases[i].starts, strlen(cases[i].starts)) == 0)
                    found = 1;
            }
            checks++;
            if (!found) {
                failures++;
                fprintf(stderr, "FAIL readable path %zu: want %s at %s\n", i, cases[i].starts, cases[i].pointer);
                dump(&r);
            }
            ct_problems_free(r.p);
            free(r.json);
        }
    }

    printf("walker_test: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
