#!/bin/sh
# Prints N identities, one per line (default 50000): user-1 ... user-N.
# A typed line is also accepted by `clevertap send`: Email:someone@example.com
n=${1:-50000}
awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) print "user-" i }'
