/* Schema pieces shared between the table files (ct_schema_*.c) and the
 * registry (ct_schemas.c). Tables only: the walker never includes this. */
#ifndef CT_SCHEMA_PARTS_H
#define CT_SCHEMA_PARTS_H

#include "ct_schema.h"

/* Endpoint roots. */
extern const ct_schema ct_sc_targets_create;
extern const ct_schema ct_sc_targets_list;
extern const ct_schema ct_sc_targets_stop;
extern const ct_schema ct_sc_targets_result;
extern const ct_schema ct_sc_targets_trigger;
extern const ct_schema ct_sc_send_push;
extern const ct_schema ct_sc_send_webpush;
extern const ct_schema ct_sc_send_email;
extern const ct_schema ct_sc_send_sms;

/* ct_schema_common.c: pieces used by several endpoints. */
extern const ct_schema ct_sc_date_int;     /* YYYYMMDD as an integer (where.from, list.from) */
extern const ct_schema ct_sc_positive_int; /* integer >= 1 */
extern const ct_schema ct_sc_campaign_id;  /* CleverTap campaign id */
extern const ct_schema ct_sc_where;        /* targets/create "where" */
extern const ct_schema ct_sc_when;         /* targets/create "when" */
extern const ct_schema ct_sc_conversion_goal;
extern const ct_schema ct_sc_control_group;
extern const ct_schema ct_sc_identities;        /* send/<channel> "to" */
extern const ct_schema ct_sc_push_platforms;    /* content.platform_specific for push */
extern const ct_schema ct_sc_webpush_platforms; /* content.platform_specific for web push */
extern const ct_schema ct_sc_push_content;      /* push content (targets/create, send/push) */
extern const ct_schema ct_sc_webpush_content;   /* web push content (targets/create, send/webpush) */

/* "to" not before "from", both integer dates YYYYMMDD (where, targets/list);
 * a wrong one has its own error and is not compared. */
/* Initializer macros stay one line each: clang-format 14 lays a macro whose
 * body is { ... } out as a block. */
/* clang-format off */
#define CT_SC_TO_NOT_BEFORE_FROM \
    { .kind = CT_R_NOT_BEFORE, .field = "to", .other = "from", .schema = &ct_sc_date_int }
/* clang-format on */

#endif
