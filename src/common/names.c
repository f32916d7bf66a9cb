/* Names of states and wait kinds, as they appear in dumps and docs/formats.md. */
#include <stdio.h>
#include <string.h>

#include "common/model.h"

static const char *const state_names[TL_STATE_COUNT] = {"running", "blocked", "exited"};

static const char *const wait_names[TL_WAIT_COUNT] = {
    NULL,      "join",  "mutex", "rwlock", "cond", "sem",
    "barrier", "futex", "sleep", "io",     "poll", "child",
};

const char *tl_state_name(int state)
{
    return state >= 0 && state < TL_STATE_COUNT ? state_names[state] : "unknown";
}

const char *tl_wait_name(int wait)
{
    return wait > 0 && wait < TL_WAIT_COUNT ? wait_names[wait] : NULL;
}

/* The index of s among names[from, n), -1 when it is not there. */
static int find_name(const char *const *names, int from, int n, const char *s)
{
    for (int i = from; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int tl_state_parse(const char *s)
{
    return find_name(state_names, 0, TL_STATE_COUNT, s);
}

int tl_wait_parse(const char *s)
{
    return s ? find_name(wait_names, 1, TL_WAIT_COUNT, s) : TL_WAIT_NONE;
}

static const char *const capture_names[TL_CAPTURE_COUNT] = {
    NULL, "ok", "in_syscall", "blocked_signal", "no_answer", "unavailable", "skipped", "seccomp",
};

const char *tl_capture_name(int capture)
{
    return capture > 0 && capture < TL_CAPTURE_COUNT ? capture_names[capture] : NULL;
}

int tl_capture_parse(const char *s)
{
    int i = find_name(capture_names, 1, TL_CAPTURE_COUNT, s);
    return i < 0 ? TL_CAPTURE_NONE : i;
}

int tl_wait_object_is_fd(int wait, const char *call)
{
    /* select's object is no descriptor: it watches sets of them */
    return wait == TL_WAIT_IO ||
           (wait == TL_WAIT_POLL && !(call && strstr(call, "select") != NULL));
}

/* The name with its last run of digits replaced by '*'; 0 when it has none. */
static int shape_of(const char *name, char out[20])
{
    size_t len = strnlen(name, sizeof(tl_name) - 1), end = len;
    while (end > 0 && !(name[end - 1] >= '0' && name[end - 1] <= '9'))
        end--;
    if (end == 0) {
        memcpy(out, name, len);
        out[len] = 0;
        return 0;
    }
    size_t start = end;
    while (start > 0 && name[start - 1] >= '0' && name[start - 1] <= '9')
        start--;
    memcpy(out, name, start);
    out[start] = '*';
    memcpy(out + start + 1, name + end, len - end);
    out[start + 1 + len - end] = 0;
    return 1;
}

void tl_names_pattern(const tl_name *names, int n, char out[20])
{
    out[0] = 0;
    if (n <= 0 || !names[0][0])
        return;
    int same = 1;
    for (int i = 1; i < n && same; i++)
        same = strncmp(names[i], names[0], sizeof(tl_name)) == 0;
    if (same) {
        snprintf(out, 20, "%.15s", names[0]);
        return;
    }
    char first[20], other[20];
    if (!shape_of(names[0], first))
        return;
    for (int i = 1; i < n; i++)
        if (!shape_of(names[i], other) || strcmp(first, other) != 0)
            return;
    memcpy(out, first, sizeof first);
}
