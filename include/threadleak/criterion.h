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
#include <string.h>
#include <threadleak.h>

/* Runs threadleak_verify_none with opts and returns its report (malloc'd,
 * "" when clean) through *report; the leak count is the result. Only ISO C
 * (tmpfile) so that the header compiles under -std=c99/c11 and C++. */
static inline int threadleak_criterion_check_(const threadleak_options *opts, char **report)
{
    threadleak_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    FILE *tmp = tmpfile();
    o.report = tmp ? tmp : stderr;
    int leaks = threadleak_verify_none(&o);
    *report = NULL;
    if (tmp) {
        long size = ftell(tmp);
        if (size > 0 && fseek(tmp, 0, SEEK_SET) == 0) {
            *report = (char *)malloc((size_t)size + 1);
            if (*report)
                (*report)[fread(*report, 1, (size_t)size, tmp)] = 0;
        }
        fclose(tmp);
    }
    if (!*report)
        *report = (char *)calloc(1, 1);
    return leaks;
}

/* cr_assert_no_thread_leaks_with(&opts): the same with options (ignore
 * globs, timeout, baseline snapshot). The failure message is the report;
 * a report stream given in opts is ignored. Call it at the end of the test
 * body: Criterion does not fail a test on an assertion in a .fini fixture. */
#define cr_assert_no_thread_leaks_with(opts)                                                       \
    do {                                                                                           \
        char *threadleak_report_ = NULL;                                                           \
        int threadleak_n_ = threadleak_criterion_check_((opts), &threadleak_report_);              \
        if (threadleak_n_ != 0) {                                                                  \
            size_t threadleak_len_ = threadleak_report_ ? strlen(threadleak_report_) : 0;          \
            if (threadleak_len_ && threadleak_report_[threadleak_len_ - 1] == '\n')                \
                threadleak_report_[threadleak_len_ - 1] = 0;                                       \
            cr_assert_fail("%s", threadleak_report_ ? threadleak_report_ : "thread leak");         \
        }                                                                                          \
        free(threadleak_report_);                                                                  \
    } while (0)

#define cr_assert_no_thread_leaks() cr_assert_no_thread_leaks_with(NULL)

#endif
