#!/bin/sh
# The state database of creates is its own unit: ct_state.o linked with
# SQLite only. Records go sending -> created / unknown -> forgotten, survive
# a reopen (another process would see them), are kept per account, and the
# key is the name plus 16 hex digits of the body's FNV-1a hash, stable
# across runs (a test vector: FNV-1a 64 of "" and of "a").
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
obj="$BUILD/obj/core/journal/ct_state.o"
[ -f "$obj" ] || make -s BUILD="$BUILD" "$obj"
out=$(mktemp -d "${TMPDIR:-/tmp}/state_alone.XXXXXX")
trap 'rm -rf "$out"' EXIT
cat > "$out/t.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "ct_state.h"
static int bad = 0;
#define CHECK(c) do { if (!(c)) { printf("not ok: %s (line %d)\n", #c, __LINE__); bad++; } } while (0)
int main(int argc, char **argv)
{
    char err[256], key[64], id[32];
    int status;
    (void)argc;
    CHECK(ct_state_create_key("N", 1, "", 0, key, sizeof key) == 18 && strcmp(key, "N#cbf29ce484222325") == 0);
    CHECK(ct_state_create_key("N", 1, "a", 1, key, sizeof key) == 18 && strcmp(key, "N#af63dc4c8601ec8c") == 0);
    CHECK(ct_state_create_key("Name", 4, "a", 1, key, 10) == 0);
    ct_state *st = ct_state_open(argv[1], err, sizeof err);
    CHECK(st != NULL);
    if (!st) return 1;
    CHECK(ct_state_create_get(st, "A", "k", &status, id, sizeof id, err, sizeof err) == 0 && status == CT_CREATE_NONE);
    CHECK(ct_state_create_put(st, "A", "k", CT_CREATE_SENDING, NULL, err, sizeof err) == 0);
    CHECK(ct_state_create_get(st, "A", "k", &status, id, sizeof id, err, sizeof err) == 0 &&
          status == CT_CREATE_SENDING && id[0] == '\0');
    CHECK(ct_state_create_put(st, "A", "k", CT_CREATE_CREATED, "1700000001", err, sizeof err) == 0);
    CHECK(ct_state_create_get(st, "B", "k", &status, id, sizeof id, err, sizeof err) == 0 && status == CT_CREATE_NONE);
    CHECK(ct_state_create_put(st, "A", "k", 9, NULL, err, sizeof err) == -1);
    ct_state_close(st);
    st = ct_state_open(argv[1], err, sizeof err);
    CHECK(st != NULL);
    if (!st) return 1;
    CHECK(ct_state_create_get(st, "A", "k", &status, id, sizeof id, err, sizeof err) == 0 &&
          status == CT_CREATE_CREATED && strcmp(id, "1700000001") == 0);
    CHECK(ct_state_create_put(st, "A", "u", CT_CREATE_UNKNOWN, NULL, err, sizeof err) == 0);
    CHECK(ct_state_create_get(st, "A", "u", &status, id, sizeof id, err, sizeof err) == 0 && status == CT_CREATE_UNKNOWN);
    CHECK(ct_state_create_forget(st, "A", "u", err, sizeof err) == 0);
    CHECK(ct_state_create_get(st, "A", "u", &status, id, sizeof id, err, sizeof err) == 0 && status == CT_CREATE_NONE);
    ct_state_close(st);
    CHECK(ct_state_open("/nonexistent-dir/x/state.db", err, sizeof err) == NULL && strstr(err, "cannot open it"));
    if (!bad) printf("ok\n");
    return bad != 0;
}
C
$CC -std=c99 -Wall -Wextra -Werror -Icsrc/journal "$out/t.c" "$obj" -lsqlite3 -o "$out/t"
"$out/t" "$out/state.db"
