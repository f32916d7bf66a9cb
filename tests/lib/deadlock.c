/* Owner and deadlock expectations shared by test_deadlock (library dumps)
 * and test_attach (ptrace dumps). */
#include <string.h>

#include "lib/deadlock.h"

json_t *tlt_only_deadlock(tlt_proc *p, size_t n_threads)
{
    json_t *all = json_object_get(p->json, "deadlocks");
    tlt_expect(p, json_is_array(all) && json_array_size(all) == 1,
               "expected exactly one deadlock in the JSON dump");
    json_t *threads = json_object_get(json_array_get(all, 0), "threads");
    tlt_expect(p, json_array_size(threads) == n_threads, "expected a cycle of %zu threads",
               n_threads);
    return threads;
}

int tlt_owner_has_flag(json_t *owner, const char *flag)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(owner, "flags"), i,
                       v) if (strcmp(json_string_value(v), flag) == 0) return 1;
    return 0;
}

static long tid_of(json_t *t)
{
    return (long)json_integer_value(json_object_get(t, "tid"));
}

void tlt_expect_cycle(tlt_proc *p, json_t *threads, const char *wait, const char *const *objs,
                      const char *fn)
{
    size_t n = json_array_size(threads);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(threads, i), *next = json_array_get(threads, (i + 1) % n);
        tlt_expect(p, json_integer_value(json_object_get(t, "owner_tid")) == tid_of(next),
                   "cycle thread %zu: owner_tid is not the next thread's tid", i);
        if (wait)
            tlt_expect(p, strcmp(json_string_value(json_object_get(t, "wait")), wait) == 0,
                       "cycle thread %zu: wait is not %s", i, wait);
        if (fn)
            tlt_expect(p,
                       tlt_frame_fn(json_object_get(t, "stack"), 0) &&
                           strcmp(tlt_frame_fn(json_object_get(t, "stack"), 0), fn) == 0,
                       "cycle thread %zu: frame #0 is not %s", i, fn);
        int found = !objs;
        for (int k = 0; objs && objs[k]; k++)
            found |= strcmp(json_string_value(json_object_get(t, "object")), objs[k]) == 0;
        tlt_expect(p, found, "cycle thread %zu waits on an object the program did not print", i);
    }
}

void tlt_expect_no_deadlock(tlt_proc *p)
{
    json_t *all = json_object_get(p->json, "deadlocks");
    tlt_expect(p, json_is_array(all) && json_array_size(all) == 0,
               "expected an empty deadlocks array");
    tlt_expect(p, !strstr(p->text, "\ndeadlock: "), "the text dump shows a deadlock");
}
