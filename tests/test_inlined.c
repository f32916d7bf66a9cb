/* Inlined calls are frames of their own, as pprof shows them: a wait in
 * a function inlined into its caller (tests/progs/inlined_wait.c) shows
 * the inlined function as frame #0, marked inlined, at the line of the
 * wait, above its caller at the line of the inlined call; the threads
 * still form one group. */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/tlt.h"

TestSuite(inlined, .fini = tlt_cleanup, .timeout = 30);

Test(inlined, wait_in_an_inlined_function)
{
    tlt_proc *p = tlt_start("inlined_wait", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "mutex", 2, "wait_inlined_helper", "main");
    json_t *st = json_object_get(g, "stack");
    json_t *f0 = json_array_get(st, 0), *f1 = json_array_get(st, 1);
    tlt_expect(p, json_is_true(json_object_get(f0, "inlined")), "frame #0 is not marked inlined");
    tlt_expect(p, json_integer_value(json_object_get(f0, "line")) == 11,
               "frame #0 is not at the line of the wait (inlined_wait.c:11)");
    tlt_expect(p, tlt_frame_fn(st, 1) && strcmp(tlt_frame_fn(st, 1), "inlined_caller") == 0,
               "frame #1 is not inlined_caller");
    tlt_expect(p, !json_object_get(f1, "inlined"), "frame #1 is marked inlined");
    tlt_expect(p, json_integer_value(json_object_get(f1, "line")) == 18,
               "frame #1 is not at the line of the inlined call (inlined_wait.c:18)");
    tlt_expect_text(p, "#0  wait_inlined_helper (inlined) inlined_wait.c:11");
    /* columns fit the group's longest function, "wait_inlined_helper (inlined)" */
    tlt_expect_text(p, "#1  inlined_caller                inlined_wait.c:18");
    tlt_stop(p);
}
