/* THREADLEAK_* values and what the library says about each, as literal
 * text: the one line (after "threadleak: ") for a value it refuses, none for
 * one it takes. test_preload_unit checks them on the parser in-process,
 * test_hostile on a real program's stderr. */
#ifndef TLT_ENV_CASES_H
#define TLT_ENV_CASES_H

#include <stddef.h>

struct tlt_env_case {
    const char *var;
    const char *value;
    const char *said; /* NULL: the value is taken, nothing is said */
};

extern const struct tlt_env_case tlt_env_cases[];
extern const size_t tlt_env_case_count;

#endif
