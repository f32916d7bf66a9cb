/* threadleak for Criterion tests: fail the current test when it leaves
 * threads behind.
 *
 *     #include <criterion/criterion.h>
 *     #include <threadleak/criterion.h>
 *
 *     Test(pool, shuts_down) {
 *         pool_t *p = pool_start(4);
 *         pool_stop(p);
 *         cr_assert_no_thread_leaks();
 *     }
 *
 * Link with `pkg-config --libs threadleak`. The failure message is the
 * text dump of the leaked threads: where each is blocked, who created it. */
#ifndef THREADLEAK_CRITERION_H
#define THREADLEAK_CRITERION_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <threadleak.h>

/* Runs threadleak_verify_none with opts and returns its report (malloc'd,
 * "" when clean) through *report; the leak count is the result. */
static inline int threadleak_criterion_check_(const threadleak_options *opts, char **report)
{
    threadleak_options o = {0};
    if (opts)
        o = *opts;
    size_t size = 0;
    *report = NULL;
    FILE *mem = open_memstream(report, &size);
    o.report = mem ? mem : stderr;
    int leaks = threadleak_verify_none(&o);
    if (mem)
        fclose(mem);
    if (!*report)
        *report = (char *)calloc(1, 1);
    return leaks;
}

/* cr_assert_no_thread_leaks_with(&opts): the same with options (ignore
 * globs, timeout, baseline snapshot). */
#define cr_assert_no_thread_leaks_with(opts)                                                       \
    do {                                                                                           \
        char *threadleak_report_ = NULL;                                                           \
        int threadleak_n_ = threadleak_criterion_check_((opts), &threadleak_report_);              \
        if (threadleak_n_ != 0) {                                                                  \
            cr_log_error("%s", threadleak_report_ ? threadleak_report_ : "");                      \
            free(threadleak_report_);                                                              \
            cr_assert_fail("%d thread%s leaked (see the threadleak report above)",                 \
                           threadleak_n_, threadleak_n_ == 1 ? "" : "s");                          \
        }                                                                                          \
        free(threadleak_report_);                                                                  \
    } while (0)

#define cr_assert_no_thread_leaks() cr_assert_no_thread_leaks_with(NULL)

#endif
