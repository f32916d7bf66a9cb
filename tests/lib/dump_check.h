/* Checks on a dump as a whole, for the tests that take many of them under
 * load (test_robust, test_faults, test_sanitizers, test_hosts). */
#ifndef TLT_DUMP_CHECK_H
#define TLT_DUMP_CHECK_H

#include <jansson.h>
#include <stddef.h>

#include "lib/tlt.h"

/* An integer member of o; -1 when absent or not an integer. */
long tlt_jint(json_t *o, const char *key);
/* A dump's own consistency: its counts agree with each other and with its
 * groups (both come from one snapshot). 0, or -1 with the reason in why. */
int tlt_check_dump(json_t *dump, char *why, size_t size);
/* How many dumps p has written once the ones already asked for have
 * landed: numbers are taken until none new appears for 1.5 s. */
int tlt_settled_dumps(tlt_proc *p);

#endif
