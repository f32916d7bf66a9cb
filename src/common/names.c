/* Names of states and wait kinds, as they appear in dumps and docs/formats.md. */
#include <string.h>

#include "common/model.h"

static const char *const state_names[TL_STATE_COUNT] = {"running", "blocked", "exited"};

static const char *const wait_names[TL_WAIT_COUNT] = {
    NULL, "join", "mutex", "rwlock", "cond", "sem", "barrier", "futex", "sleep", "io", "poll",
};

const char *tl_state_name(int state)
{
    return state >= 0 && state < TL_STATE_COUNT ? state_names[state] : "unknown";
}

const char *tl_wait_name(int wait)
{
    return wait > 0 && wait < TL_WAIT_COUNT ? wait_names[wait] : NULL;
}

int tl_state_parse(const char *s)
{
    for (int i = 0; s && i < TL_STATE_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0)
            return i;
    return -1;
}

int tl_wait_parse(const char *s)
{
    if (!s)
        return TL_WAIT_NONE;
    for (int i = 1; i < TL_WAIT_COUNT; i++)
        if (strcmp(s, wait_names[i]) == 0)
            return i;
    return -1;
}
