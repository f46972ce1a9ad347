/* ct_schema.h: the data contract between the schema TABLES (ct_schema_*.c, the
 * registry ct_schemas.c, here in csrc/schema) and the WALKER that validates
 * with them (csrc/validate/ct_walk.c).
 *
 * A schema is a static, constant tree of `ct_schema` nodes. One API field is one
 * line of data: a `ct_field` row `{ "name", &schema, flags }` in its object's
 * field table. The walker walks a payload (ct_value, see ct_value.h) against the
 * schema, reports EVERY problem with an RFC 6901 pointer and never stops early.
 * No per-field C code: the few rules that are not data are CHECK callbacks.
 *
 * ---- Worked example ---------------------------------------------------------
 *
 *   // a reusable leaf: "HH:MM", 00:00-23:59
 *   static const ct_schema hhmm = { .kind = CT_K_STRING, .format = CT_FMT_TIME };
 *
 *   // [from, to] pair of times
 *   static const ct_schema time_pair = { .kind = CT_K_ARRAY, .items = &hhmm,
 *                                        .min_items = 2, .max_items = 2 };
 *
 *   static const ct_schema dnd = {
 *       .kind = CT_K_OBJECT,
 *       .fields = (const ct_field[]){
 *           { "message_state", &message_state, 0 },
 *           { "dnd_timezone",  &CT_S_ENUM("user", "account"), CT_REQUIRED },
 *           { "dnd_info",      &(const ct_schema){ .kind = CT_K_MAP,
 *                                  .keys = &CT_S_ENUM("1","2","3","4","5","6","7"),
 *                                  .values = &time_pair }, CT_REQUIRED },
 *           CT_FIELDS_END },
 *   };
 *
 *   // `when` object: common members + members chosen by "type"
 *   static const ct_schema when_later = { .kind = CT_K_OBJECT,
 *       .fields = (const ct_field[]){
 *           { "delivery_date_time", &(const ct_schema){ .kind = CT_K_ARRAY, .min_items = 1,
 *                 .flags = CT_S_ASCENDING,
 *                 .items = &(const ct_schema){ .kind = CT_K_STRING, .format = CT_FMT_DATETIME,
 *                                              .flags = CT_S_FUTURE } }, CT_REQUIRED },
 *           CT_FIELDS_END } };
 *   static const ct_schema when_recurring = { .kind = CT_K_OBJECT,
 *       .fields = (const ct_field[]){
 *           { "repeat_type", &CT_S_ENUM("day", "week"), CT_REQUIRED },
 *           { "repeat_on_days_of_week", &days_1_7, 0 },
 *           { "end_by_date", &date, 0 },
 *           { "end_by_occurrences", &positive_int, 0 },
 *           ... CT_FIELDS_END },
 *       .rules = (const ct_rule[]){
 *           CT_EXCLUSIVE("end_by_date", "end_by_occurrences"),
 *           CT_REQUIRED_IF("repeat_on_days_of_week", "repeat_type", "week"),
 *           CT_RULES_END } };
 *   static const ct_schema when_obj = {
 *       .kind = CT_K_VARIANT, .discriminator = "type",       // no default: "type" is required
 *       .variants = (const ct_variant[]){ { "now", &ct_s_empty_object },
 *                                         { "later", &when_later },
 *                                         { "recurring", &when_recurring }, CT_VARIANTS_END },
 *       .fields = (const ct_field[]){ { "dnd", &dnd, 0 },
 *                                     { "campaign_cutoff", &hhmm, 0 }, CT_FIELDS_END } };
 *
 *   // "now" | "YYYYMMDD HH:MM" | object
 *   static const ct_schema when = { .kind = CT_K_ONEOF, .alts = (const ct_schema *const[]){
 *       &CT_S_ENUM("now"),
 *       &(const ct_schema){ .kind = CT_K_STRING, .format = CT_FMT_DATETIME, .flags = CT_S_FUTURE },
 *       &when_obj, NULL } };
 *
 *   // registry (csrc/schema/ct_schemas.c)
 *   const ct_schema *ct_schema_for(const char *endpoint) { ... NULL when unknown ... }
 *
 * ---- Conventions ------------------------------------------------------------
 * - Every list is terminated: fields by CT_FIELDS_END, rules by CT_RULES_END,
 *   variants by CT_VARIANTS_END, enums and alternatives and name lists by NULL.
 * - All fields of ct_schema not used by a kind stay zero; zero means "no
 *   constraint" (max_* == 0: unlimited; min/max numbers need has_min/has_max,
 *   use CT_MIN(x) / CT_MAX(x) / CT_RANGE(a, b)).
 * - File-scope compound literals (`&(const ct_schema){...}`) are static and
 *   constant: use them freely for one-off nodes.
 * - Pointers in reports: a problem with a member points at the member
 *   ("/when/delivery_date_time"), also when it is MISSING (required, REQUIRED_IF);
 *   EXCLUSIVE points at the rule's second member (.other); FORBIDDEN_IF,
 *   REQUIRED_UNLESS, NOT_BEFORE and MATCH_IF at .field; AT_LEAST_ONE_OF, a VARIANT chosen by presence and
 *   other whole-object problems at the object; unknown members at the member;
 *   CHECK callbacks wherever they say (relative to the value).
 * - Severity: every node, field and rule reports errors unless told otherwise:
 *   CT_S_SOFT on a node makes its value constraints (enum, range, length,
 *   format, items count) warnings while type mismatches stay errors;
 *   CT_REQUIRED_SOFT makes a missing member a warning; a rule's .severity =
 *   CT_SEVERITY_WARNING makes that rule a warning; .note on a node emits a
 *   warning whenever a value is ACCEPTED by that node (docs contradictions:
 *   e.g. an ONEOF alternative "integer message_state" with a note).
 * - Empty Lua tables (CT_V_EMPTY) are accepted as whatever the node expects
 *   (OBJECT, MAP, VARIANT: empty object; ARRAY: empty array) and the encoder
 *   writes them accordingly ({} or []).
 */
#ifndef CT_SCHEMA_H
#define CT_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "clevertap.h" /* ct_severity */
#include "ct_value.h"

typedef struct ct_schema ct_schema;
typedef struct ct_field ct_field;
typedef struct ct_rule ct_rule;
typedef struct ct_variant ct_variant;
typedef struct ct_check ct_check;

typedef enum {
    CT_K_ANY = 0, /* anything, null included; no constraint */
    CT_K_OBJECT,  /* members listed in .fields; unknown members: warning, or .extra */
    CT_K_MAP,     /* free keys (.keys schema for the key string), .values for each value */
    CT_K_ARRAY,   /* .items for each item; .min_items/.max_items */
    CT_K_STRING,  /* .enums, .min_chars/.max_chars (code points), .max_bytes, .format */
    CT_K_INTEGER, /* JSON integer (integral floats count); .min/.max; .format (DATE, STAMP12) */
    CT_K_NUMBER,  /* any finite number, integers included; .min/.max */
    CT_K_BOOLEAN, /* true/false */
    CT_K_NULL,    /* JSON null only (cjson.null) */
    CT_K_ONEOF,   /* .alts: the value must match one alternative (see "ONEOF" below) */
    CT_K_VARIANT  /* object whose members depend on a discriminator (see "VARIANT" below) */
} ct_kind;

typedef enum {
    CT_FMT_NONE = 0,
    CT_FMT_DATE,     /* YYYYMMDD, the day must exist (20240230 fails). STRING nodes accept
                        only strings ("20240229": the field is typed String), INTEGER
                        nodes only integers (20240229: typed Int) */
    CT_FMT_DATETIME, /* "YYYYMMDD HH:MM" (string), day must exist, 00:00-23:59 */
    CT_FMT_TIME,     /* "HH:MM" (string), 00:00-23:59 */
    CT_FMT_STAMP12,  /* yyyyMMddHHmm, e.g. 202207200000 (INTEGER nodes: integers only;
                        STRING nodes: strings only) */
    CT_FMT_EPOCH     /* UNIX timestamp in seconds (integer >= 0) */
} ct_format;

/* ct_schema.flags */
enum {
    CT_S_SOFT = 1u << 0,        /* value constraints are warnings (type mismatch stays error) */
    CT_S_FUTURE = 1u << 1,      /* DATE/DATETIME/STAMP12/EPOCH: must not be in the past
                                   (opts.now, 14 h slack for account/user timezones) */
    CT_S_FUTURE_WARN = 1u << 2, /* same check, reported as a warning */
    CT_S_ASCENDING = 1u << 3,   /* ARRAY of strings/numbers: each item strictly greater than
                                   the previous (strings compare bytewise: right for
                                   "YYYYMMDD HH:MM" and YYYYMMDD) */
    CT_S_UNIQUE = 1u << 4,      /* ARRAY of scalars: no duplicate items */
    CT_S_BY_PRESENCE = 1u << 5, /* VARIANT: variant .value names a MEMBER whose presence
                                   selects it (first match in table order) */
    CT_S_NONEMPTY = 1u << 6,    /* STRING: at least one non-whitespace character */
    CT_S_UNIQUE_WARN = 1u << 7  /* ARRAY of scalars: duplicate items are warnings (the docs do
                                   not forbid them; the other constraints keep their severity) */
};

/* ct_field.flags */
enum {
    CT_OPTIONAL = 0,
    CT_REQUIRED = 1u << 0,      /* missing member: error at the member's pointer */
    CT_REQUIRED_SOFT = 1u << 1, /* missing member: warning (docs say required, examples omit) */
    CT_NULLABLE = 1u << 2       /* JSON null accepted (and treated as absent) */
};

struct ct_field {
    const char *name;        /* exact member name (bytes) */
    const ct_schema *schema; /* NULL = CT_K_ANY */
    unsigned flags;          /* CT_REQUIRED, ... */
};
/* Initializer macros stay one line each: clang-format 14 lays a macro whose
 * body is { ... } out as a block. */
/* clang-format off */
#define CT_FIELDS_END { NULL, NULL, 0 }
/* clang-format on */

/* VARIANT entry: when the discriminator member equals .value (string), the
 * members of .schema (an OBJECT or another VARIANT: nesting allowed) are
 * added to the members common to all variants (.fields of the VARIANT
 * node). A member listed in both uses the variant's schema. Rules of the
 * chosen chain all apply. With CT_S_BY_PRESENCE, .value is a member name. */
struct ct_variant {
    const char *value;
    const ct_schema *schema;
};
/* clang-format off */
#define CT_VARIANTS_END { NULL, NULL }
/* clang-format on */

/* ---- object-level rules ---------------------------------------------------
 * Conditions ("when `other` is `equals`") compare the member's value as text:
 * strings by bytes, integers in decimal, booleans as "true"/"false".
 * `equals` may list alternatives separated by '|' ("exists|does_not_exist"),
 * and a leading '!' negates ("!exists|does_not_exist": any other value,
 * member absent included). equals == NULL: "when `other` is present". */
typedef enum {
    CT_R_EXCLUSIVE = 1,   /* .field and .other not both present */
    CT_R_REQUIRED_IF,     /* .field required when .other matches .equals */
    CT_R_FORBIDDEN_IF,    /* .field must be absent when .other matches .equals */
    CT_R_AT_LEAST_ONE_OF, /* one of .names (NULL-terminated) present */
    CT_R_MATCH_IF,        /* when .other matches .equals, .field (if present) must also
                             match .schema (e.g. property_value is a 2-item array
                             when operator is "between") */
    CT_R_CHECK,           /* .check(cx, value, rule): C for what data cannot say */
    CT_R_REQUIRED_UNLESS, /* .field required when .other is absent (or null): "where"
                             unless "segment". A null .field counts as given (its own
                             node reports the null) */
    CT_R_NOT_BEFORE       /* .field (if present) not before .other: both read as a date
                             YYYYMMDD (string or integer) or a date-time "YYYYMMDD HH:MM";
                             by day when either is a date, else by minute. Compared only
                             when both parse (and match .schema when given), so a wrong
                             value is reported once, by its own node. At .field. */
} ct_rule_kind;

typedef void (*ct_check_fn)(ct_check *cx, const ct_value *v, const ct_rule *rule);

struct ct_rule {
    ct_rule_kind kind;
    const char *field;
    const char *other;
    const char *equals;
    const char *const *names;
    const ct_schema *schema;
    ct_check_fn check;
    const void *arg;      /* free for CHECK callbacks */
    const char *message;  /* optional: replaces the generated sentence */
    ct_severity severity; /* CT_SEVERITY_ERROR (default) or CT_SEVERITY_WARNING */
};
/* clang-format off */
#define CT_RULES_END { .kind = (ct_rule_kind)0 }
#define CT_EXCLUSIVE(a, b) { .kind = CT_R_EXCLUSIVE, .field = (a), .other = (b) }
#define CT_REQUIRED_IF(f, k, v) { .kind = CT_R_REQUIRED_IF, .field = (f), .other = (k), .equals = (v) }
#define CT_FORBIDDEN_IF(f, k, v) { .kind = CT_R_FORBIDDEN_IF, .field = (f), .other = (k), .equals = (v) }
#define CT_MATCH_IF(f, k, v, s) { .kind = CT_R_MATCH_IF, .field = (f), .other = (k), .equals = (v), .schema = (s) }
#define CT_AT_LEAST_ONE_OF(...) \
    { .kind = CT_R_AT_LEAST_ONE_OF, .names = (const char *const[]){ __VA_ARGS__, NULL } }
#define CT_CHECK(fn) { .kind = CT_R_CHECK, .check = (fn) }
#define CT_REQUIRED_UNLESS(f, k) { .kind = CT_R_REQUIRED_UNLESS, .field = (f), .other = (k) }
#define CT_NOT_BEFORE(later, earlier) { .kind = CT_R_NOT_BEFORE, .field = (later), .other = (earlier) }
/* clang-format on */

/* ---- the node ---------------------------------------------------------- */
struct ct_schema {
    ct_kind kind;
    unsigned flags;      /* CT_S_* */
    const char *expect;  /* optional: how the expectation reads in messages
                            ("a day of week 1-7 (Sun-Sat)"); generated if NULL */
    const char *note;    /* optional: warning emitted when a value matches this node */
    const char *missing; /* optional: the message when a CT_REQUIRED(_SOFT) member with
                            this node is missing, instead of "missing required member"
                            (e.g. which doc requires it when only one does) */

    /* OBJECT, VARIANT (common members) */
    const ct_field *fields;
    const ct_schema *extra; /* members not in .fields: validated against this instead
                               of the unknown-member warning (custom key-values) */
    /* any kind (OBJECT/VARIANT/MAP mostly): object-level rules, run after members */
    const ct_rule *rules;

    /* MAP */
    const ct_schema *keys;   /* STRING node checked against each key (enum, max_chars) */
    const ct_schema *values; /* NULL = ANY */

    /* ARRAY (and MAP: entry count) */
    const ct_schema *items; /* NULL = ANY */
    size_t min_items, max_items;

    /* STRING */
    const char *const *enums; /* NULL-terminated; "did you mean" on near misses */
    size_t min_chars, max_chars, max_bytes;
    ct_format format;

    /* INTEGER, NUMBER */
    double min, max;
    unsigned char has_min, has_max;

    /* ONEOF: NULL-terminated alternatives, tried in order. The first that
     * matches without errors wins (its warnings are kept). When none does, the
     * problems of the alternative that got furthest (right JSON type, deepest
     * problem) are reported; between alternatives that fail equally on the
     * same scalar, one message lists them all: expected "now" or a date-time
     * "YYYYMMDD HH:MM" or an object, got "soon". */
    const ct_schema *const *alts;

    /* VARIANT: the value must be an object; .discriminator names the member
     * that selects one of .variants; absent -> .default_variant (NULL: the
     * discriminator is required). The discriminator need not be listed in
     * .fields; the walker checks it against the variant values. */
    const char *discriminator;
    const char *default_variant;
    const ct_variant *variants;
};

#define CT_MIN(x) .min = (x), .has_min = 1
#define CT_MAX(x) .max = (x), .has_max = 1
#define CT_RANGE(a, b) .min = (a), .has_min = 1, .max = (b), .has_max = 1
#define CT_ENUM(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define CT_S_ENUM(...) ((const ct_schema){ .kind = CT_K_STRING, .enums = CT_ENUM(__VA_ARGS__) })

/* Shared leaves defined by the walker (ct_walk.c). */
extern const ct_schema ct_s_any;          /* anything */
extern const ct_schema ct_s_string;       /* any string */
extern const ct_schema ct_s_nonempty;     /* string with a non-blank character */
extern const ct_schema ct_s_integer;      /* any integer */
extern const ct_schema ct_s_number;       /* any number */
extern const ct_schema ct_s_boolean;      /* true/false */
extern const ct_schema ct_s_scalar;       /* string, number or boolean */
extern const ct_schema ct_s_object;       /* any object (members not checked) */
extern const ct_schema ct_s_empty_object; /* object with no declared members */
extern const ct_schema ct_s_date;         /* "YYYYMMDD", a string (ct_sc_date_int: an integer) */
extern const ct_schema ct_s_datetime;     /* "YYYYMMDD HH:MM" */
extern const ct_schema ct_s_time;         /* "HH:MM" */

/* ---- registry: csrc/schema/ct_schemas.c ---------------------------------- */
/* The root schema of an endpoint ("targets/create", "send/push", ...), NULL
 * when the endpoint is unknown. */
const ct_schema *ct_schema_for(const char *endpoint);
/* The registry's i-th endpoint name (in docs/contract.md's order), NULL past the
 * last: the list messages show. */
const char *ct_schema_endpoint(size_t i);

/* ---- CHECK callbacks: the context API ------------------------------------
 * `rel` is an RFC 6901 pointer RELATIVE to the value the rule runs on, already
 * escaped: "" (the value itself), "/delivery_date_time/1". Messages use printf
 * format. ct_check_report uses the rule's severity; _error/_warning force one. */
void ct_check_report(ct_check *cx, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ct_check_error(ct_check *cx, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ct_check_warning(ct_check *cx, const char *rel, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long long ct_check_now(const ct_check *cx); /* opts.now (epoch seconds) */
/* Runs the walker on `v` against schema `s` with problems reported under
 * `rel` (e.g. to apply a schema conditionally). */
void ct_check_walk(ct_check *cx, const char *rel, const ct_value *v, const ct_schema *s);

/* ---- formats: shared parsing (ct_format.c) ------------------------------- */
typedef struct ct_moment {
    int year, month, day, hour, minute; /* hour/minute 0 for DATE */
} ct_moment;

/* Each returns 1 and fills *m when `v` is a valid value of the format
 * (same acceptance as the schema formats; STRING/INTEGER both allowed where
 * the format allows), 0 otherwise. m may be NULL. */
int ct_fmt_parse(ct_format f, const ct_value *v, ct_moment *m);
/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
long long ct_days_from_civil(int y, int m, int d);
/* Epoch seconds of a moment read as UTC. */
long long ct_moment_epoch(const ct_moment *m);
/* Slack applied by "must be in the future" checks (seconds). */
#define CT_FUTURE_SLACK (14LL * 3600)

/* "got ..." text for messages: `"25:00"`, `12`, `an object`, ... */
void ct_value_describe(const ct_value *v, char *buf, size_t n);

#endif
