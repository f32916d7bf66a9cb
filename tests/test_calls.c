/* Every blocking entry point of docs/formats.md's table, one at a time: 3 threads
 * of tests/progs/calls_blocked blocked in it must form the largest group,
 * blocked in the call's wait kind, with "wait_call" naming the call (futex
 * waits excepted: they are all syscall()), frame #0 blocker() (the caller of
 * the primitive), spawn_blockers() on the creation stack, and, for calls
 * that wait on an object, that object. pread is left out: nothing makes it
 * block (pipes and FIFOs refuse it, regular files never block). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "lib/tlt.h"

struct call_case {
    char call[32];
    char wait[12];
};

static struct call_case cases[] = {
    {"pthread_mutex_lock", "mutex"},
    {"pthread_mutex_timedlock", "mutex"},
    {"pthread_mutex_clocklock", "mutex"},
    {"mtx_lock", "mutex"},
    {"mtx_timedlock", "mutex"},
    {"pthread_rwlock_rdlock", "rwlock"},
    {"pthread_rwlock_wrlock", "rwlock"},
    {"pthread_rwlock_timedrdlock", "rwlock"},
    {"pthread_rwlock_timedwrlock", "rwlock"},
    {"pthread_rwlock_clockrdlock", "rwlock"},
    {"pthread_rwlock_clockwrlock", "rwlock"},
    {"pthread_cond_wait", "cond"},
    {"pthread_cond_timedwait", "cond"},
    {"pthread_cond_clockwait", "cond"},
    {"cnd_wait", "cond"},
    {"cnd_timedwait", "cond"},
    {"sem_wait", "sem"},
    {"sem_timedwait", "sem"},
    {"sem_clockwait", "sem"},
    {"pthread_barrier_wait", "barrier"},
    {"pthread_join", "join"},
    {"pthread_timedjoin_np", "join"},
    {"pthread_clockjoin_np", "join"},
    {"thrd_join", "join"},
    {"futex_wait", "futex"},
    {"futex_wait_private", "futex"},
    {"futex_wait_bitset", "futex"},
    {"futex_waitv", "futex"},
    {"sleep", "sleep"},
    {"usleep", "sleep"},
    {"nanosleep", "sleep"},
    {"clock_nanosleep", "sleep"},
    {"thrd_sleep", "sleep"},
    {"pause", "sleep"},
    {"sigsuspend", "sleep"},
    {"sigwait", "sleep"},
    {"sigwaitinfo", "sleep"},
    {"sigtimedwait", "sleep"},
    {"read", "io"},
    {"readv", "io"},
    {"recv", "io"},
    {"recvfrom", "io"},
    {"recvmsg", "io"},
    {"write", "io"},
    {"writev", "io"},
    {"send", "io"},
    {"sendto", "io"},
    {"sendmsg", "io"},
    {"accept", "io"},
    {"accept4", "io"},
    {"connect", "io"},
    {"poll", "poll"},
    {"ppoll", "poll"},
    {"select", "poll"},
    {"pselect", "poll"},
    {"epoll_wait", "poll"},
    {"epoll_pwait", "poll"},
    {"epoll_pwait2", "poll"},
};

ParameterizedTestParameters(calls, blocks)
{
    return cr_make_param_array(struct call_case, cases, sizeof cases / sizeof cases[0]);
}

static int has_object(const char *call)
{
    return !strncmp(call, "pthread_mutex_", 14) || !strncmp(call, "mtx_", 4) ||
           !strncmp(call, "pthread_rwlock_", 15) || !strncmp(call, "pthread_cond_", 13) ||
           !strncmp(call, "cnd_", 4) || !strncmp(call, "sem_", 4) ||
           !strncmp(call, "pthread_barrier_", 16) || !strncmp(call, "futex_", 6);
}

ParameterizedTest(struct call_case *c, calls, blocks, .fini = tlt_cleanup, .timeout = 30)
{
    const char *argv[] = {tlt_prog_path("calls_blocked"), c->call, NULL};
    tlt_proc *p = tlt_start_argv(argv, NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", c->wait, 3, "blocker", "spawn_blockers");
    if (strncmp(c->call, "futex_", 6))
        tlt_expect_wait_call(p, g, c->call);
    if (has_object(c->call))
        tlt_expect_object(p, g, tlt_printed(p, "object"));
    /* main waits in pause(), and so does the end of the join chain: sleep. */
    if (!strcmp(c->wait, "sleep")) {
        tlt_expect_by_wait(p, "sleep", 4);
    } else {
        tlt_expect_by_wait(p, c->wait, 3);
        tlt_expect_by_wait(p, "sleep", strcmp(c->wait, "join") ? 1 : 2);
    }
    /* More dumps: the same group, and the dump signal never surfaced in the
     * program as an interrupted call. */
    tlt_dump(p);
    tlt_dump(p);
    tlt_expect_leak(p, "blocked", c->wait, 3, "blocker", "spawn_blockers");
    tlt_expect_alive(p);
    const char *err = tlt_stderr(p);
    tlt_expect(p, !strstr(err, "returned early"),
               "a wait of the program returned while nothing woke it (see its stderr)");
    tlt_stop(p);
}
