/* Each wait kind of the preload library, on a C program that leaks threads
 * in it (tests/progs/wait_*.c): the dump's largest group has the right
 * state, wait kind, call, object and count, frame #0 of its stack is the
 * function that called the primitive, its creation stack leads to the
 * function that started the threads, counts.by_wait agrees, and the text
 * dump has the group's header line. Every program's main thread waits in
 * pause() (wait kind sleep) after printing "ready". */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/tlt.h"

TestSuite(waits, .fini = tlt_cleanup, .timeout = 30);

Test(waits, mutex)
{
    tlt_proc *p = tlt_start("wait_mutex", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "mutex", 7, "mutex_waiter", "spawn_mutex_waiters");
    tlt_expect_wait_call(p, g, "pthread_mutex_lock");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_frame0(p, g, "spawn_stack", "start_thread");
    tlt_expect_on_stack(p, g, "spawn_stack", "main");
    tlt_expect_by_wait(p, "mutex", 7);
    tlt_expect_text(p, "7 threads \u00b7 blocked in mutex (pthread_mutex_lock 0x");
    tlt_stop(p);
}

Test(waits, rwlock)
{
    tlt_proc *p = tlt_start("wait_rwlock", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "rwlock", 5, "rwlock_reader", "spawn_rwlock_waiters");
    tlt_expect_wait_call(p, g, "pthread_rwlock_rdlock");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    json_t *w = tlt_find_group_fn(p, "blocked", "rwlock", "rwlock_writer");
    tlt_expect_group(p, w, "blocked", "rwlock", 2);
    tlt_expect_frame0(p, w, "stack", "rwlock_writer");
    tlt_expect_wait_call(p, w, "pthread_rwlock_wrlock");
    tlt_expect_object(p, w, tlt_printed(p, "object"));
    tlt_expect_on_stack(p, w, "spawn_stack", "spawn_rwlock_waiters");
    tlt_expect_by_wait(p, "rwlock", 7);
    tlt_expect_text(p, "\n2 threads \u00b7 blocked in rwlock (pthread_rwlock_wrlock 0x");
    tlt_stop(p);
}

Test(waits, cond)
{
    tlt_proc *p = tlt_start("wait_cond", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "cond", 9, "cond_waiter", "spawn_cond_waiters");
    tlt_expect_wait_call(p, g, "pthread_cond_wait");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_by_wait(p, "cond", 9);
    /* The mutex pthread_cond_wait re-takes inside glibc is not a mutex wait. */
    tlt_expect_by_wait(p, "mutex", 0);
    tlt_stop(p);
}

Test(waits, sem)
{
    tlt_proc *p = tlt_start("wait_sem", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "sem", 6, "sem_waiter", "spawn_sem_waiters");
    tlt_expect_wait_call(p, g, "sem_wait");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_by_wait(p, "sem", 6);
    tlt_stop(p);
}

Test(waits, barrier)
{
    tlt_proc *p = tlt_start("wait_barrier", NULL);
    tlt_dump(p);
    json_t *g =
        tlt_expect_leak(p, "blocked", "barrier", 4, "barrier_waiter", "spawn_barrier_waiters");
    tlt_expect_wait_call(p, g, "pthread_barrier_wait");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_by_wait(p, "barrier", 4);
    tlt_stop(p);
}

Test(waits, join)
{
    tlt_proc *p = tlt_start("wait_join", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "join", 3, "joiner", "spawn_joiners");
    tlt_expect_wait_call(p, g, "pthread_join");
    /* The end of the chain sleeps in pause(). */
    json_t *t = tlt_find_group_fn(p, "blocked", "sleep", "join_target");
    tlt_expect_group(p, t, "blocked", "sleep", 1);
    tlt_expect_frame0(p, t, "stack", "join_target");
    tlt_expect_wait_call(p, t, "pause");
    tlt_expect_on_stack(p, t, "spawn_stack", "spawn_joiners");
    tlt_expect_by_wait(p, "join", 3);
    tlt_expect_by_wait(p, "sleep", 2);
    tlt_stop(p);
}

Test(waits, futex)
{
    tlt_proc *p = tlt_start("wait_futex", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "futex", 8, "futex_waiter", "spawn_futex_waiters");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_by_wait(p, "futex", 8);
    tlt_stop(p);
}

Test(waits, futex_wait_bitset_private)
{
    tlt_proc *p = tlt_start("wait_futex_bitset", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "futex", 10, "bitset_waiter", "spawn_bitset_waiters");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    /* With an absolute CLOCK_MONOTONIC deadline an hour away (Rust's timed waits). */
    json_t *t = tlt_find_group_fn(p, "blocked", "futex", "bitset_timed_waiter");
    tlt_expect_group(p, t, "blocked", "futex", 2);
    tlt_expect_frame0(p, t, "stack", "bitset_timed_waiter");
    tlt_expect_object(p, t, tlt_printed(p, "timed_object"));
    tlt_expect_by_wait(p, "futex", 12);
    tlt_stop(p);
}

Test(waits, sleep)
{
    tlt_proc *p = tlt_start("wait_sleep", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "sleep", 11, "sleeper", "spawn_sleepers");
    tlt_expect_wait_call(p, g, "sleep");
    tlt_expect_by_wait(p, "sleep", 12); /* and main, in pause() */
    tlt_stop(p);
}

Test(waits, io)
{
    tlt_proc *p = tlt_start("wait_io", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "io", 12, "io_reader", "spawn_io_readers");
    tlt_expect_wait_call(p, g, "read");
    tlt_expect_by_wait(p, "io", 12);
    tlt_stop(p);
}

Test(waits, poll)
{
    tlt_proc *p = tlt_start("wait_poll", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "poll", 13, "poll_waiter", "spawn_poll_waiters");
    tlt_expect_wait_call(p, g, "poll");
    tlt_expect_by_wait(p, "poll", 13);
    tlt_stop(p);
}

Test(waits, exited_unjoined)
{
    tlt_proc *p = tlt_start("wait_exited", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "exited", NULL, 14, NULL, "spawn_exiting_workers");
    tlt_expect(p, json_is_null(json_object_get(g, "blocked_ns")),
               "an exited group's \"blocked_ns\" should be null");
    tlt_expect_frame0(p, g, "spawn_stack", "start_thread");
    tlt_expect_count(p, "exited_unjoined", 14);
    tlt_expect_count(p, "live", 1);
    tlt_expect_count(p, "created", 14);
    tlt_expect_count(p, "joined", 0);
    tlt_expect_text(p, "), 14 exited unjoined \u00b7 14 created, 0 joined\n");
    tlt_stop(p);
}

/* The main thread: its own group, empty creation stack, blocked where it
 * waits; and the counts of the whole process. */
Test(waits, main_thread_and_counts)
{
    tlt_proc *p = tlt_start("wait_mutex", NULL);
    tlt_dump(p);
    json_t *m = tlt_find_main_group(p);
    tlt_expect_group(p, m, "blocked", "sleep", 1);
    tlt_expect_frame0(p, m, "stack", "wait_forever");
    tlt_expect_wait_call(p, m, "pause");
    tlt_expect_text(p, "\n1 thread \u00b7 blocked in sleep ");
    tlt_expect_text(p, "  main thread\n");
    tlt_expect_count(p, "live", 8);
    tlt_expect_count(p, "blocked", 8);
    tlt_expect_count(p, "running", 0);
    tlt_expect_count(p, "exited_unjoined", 0);
    tlt_expect_count(p, "created", 7);
    tlt_expect_by_wait(p, "sleep", 1);
    tlt_expect(p, json_array_size(json_object_get(p->json, "groups")) == 2,
               "expected exactly 2 groups (7 mutex waiters, main), found %zu",
               json_array_size(json_object_get(p->json, "groups")));
    tlt_stop(p);
}

/* Dumps are numbered, and a second one sees the same threads, blocked longer. */
Test(waits, second_dump)
{
    tlt_proc *p = tlt_start("wait_sem", NULL);
    tlt_dump(p);
    json_int_t first_min =
        json_integer_value(json_object_get(json_object_get(tlt_largest(p), "blocked_ns"), "min"));
    tlt_expect(p, first_min >= 200 * 1000 * 1000,
               "the sem waiters have been blocked for 300 ms, \"blocked_ns\".min is %lld",
               (long long)first_min);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "sem", 6, "sem_waiter", "spawn_sem_waiters");
    json_int_t second_min =
        json_integer_value(json_object_get(json_object_get(g, "blocked_ns"), "min"));
    tlt_expect(p, second_min > first_min,
               "\"blocked_ns\".min did not grow between dumps 1 and 2 (%lld, then %lld)",
               (long long)first_min, (long long)second_min);
    tlt_expect_text(p, "threadleak dump 2 \u00b7 pid ");
    tlt_stop(p);
}

/* THREADLEAK_DETAIL=threads: one entry per thread. */
Test(waits, detail_threads)
{
    const char *env[] = {"THREADLEAK_DETAIL=threads", NULL};
    tlt_proc *p = tlt_start("wait_sem", env);
    tlt_dump(p);
    json_t *threads = json_object_get(p->json, "threads");
    tlt_expect(p, json_is_array(threads) && json_array_size(threads) == 7,
               "expected a \"threads\" array of 7 (6 sem waiters and main), found %zu entries",
               json_array_size(threads));
    int sem = 0, main_seen = 0;
    size_t i;
    json_t *t;
    json_array_foreach(threads, i, t)
    {
        const char *wait = json_string_value(json_object_get(t, "wait"));
        json_int_t tid = json_integer_value(json_object_get(t, "tid"));
        if (wait && !strcmp(wait, "sem")) {
            sem++;
            tlt_expect(p, json_integer_value(json_object_get(t, "creator_tid")) == p->pid,
                       "sem waiter %lld: creator_tid should be the main thread %d", (long long)tid,
                       (int)p->pid);
            tlt_expect(p,
                       tlt_frame_fn(json_object_get(t, "stack"), 0) &&
                           !strcmp(tlt_frame_fn(json_object_get(t, "stack"), 0), "sem_waiter"),
                       "sem waiter %lld: frame #0 should be sem_waiter", (long long)tid);
        }
        if (tid == p->pid)
            main_seen = 1;
    }
    tlt_expect(p, sem == 6, "expected 6 threads in sem, found %d", sem);
    tlt_expect(p, main_seen, "the main thread (tid %d) is not in \"threads\"", (int)p->pid);
    tlt_stop(p);
}

/* Detached threads that end are gone, however they were detached (right
 * after creation, by attribute, by thrd_detach); detached threads still
 * waiting are live. None is "exited". */
Test(waits, detached_threads_are_not_leaks)
{
    tlt_proc *p = tlt_start("wait_detached", NULL);
    tlt_dump(p);
    tlt_expect_leak(p, "blocked", "sem", 5, "detached_sem_waiter", "spawn_detached");
    tlt_expect(p, tlt_find_group(p, "exited", NULL) == NULL,
               "no group should be exited: every thread that ended was detached");
    tlt_expect_count(p, "exited_unjoined", 0);
    tlt_expect_count(p, "live", 6);
    tlt_expect_count(p, "created", 22);
    tlt_expect_count(p, "detached", 22);
    tlt_stop(p);
}

/* An uncontended lock, or a semaphore already posted, never shows as a
 * wait: dumps of threads spinning on them find them running. */
Test(waits, uncontended_never_shows)
{
    tlt_proc *p = tlt_start("wait_uncontended", NULL);
    for (int i = 0; i < 3; i++) {
        tlt_dump(p);
        tlt_expect_by_wait(p, "mutex", 0);
        tlt_expect_by_wait(p, "rwlock", 0);
        tlt_expect_by_wait(p, "sem", 0);
        tlt_expect_count(p, "running", 3);
        tlt_expect_count(p, "blocked", 1);
    }
    tlt_stop(p);
}

/* Joining or detaching a thread after it has ended settles it: nothing is
 * left "exited unjoined". */
Test(waits, joined_or_detached_after_exit)
{
    tlt_proc *p = tlt_start("wait_joined_late", NULL);
    tlt_dump(p);
    tlt_expect_leak(p, "blocked", "cond", 2, "late_cond_waiter", "join_and_detach_late");
    tlt_expect(p, tlt_find_group(p, "exited", NULL) == NULL,
               "no group should be exited: every thread that ended was joined or detached");
    tlt_expect_count(p, "exited_unjoined", 0);
    tlt_expect_count(p, "created", 12);
    tlt_expect_count(p, "joined", 6);
    tlt_expect_count(p, "detached", 4);
    tlt_expect_count(p, "live", 3);
    tlt_stop(p);
}

/* pthread_exit, thrd_exit and pthread_cancel end threads too: unjoined,
 * they are exited; the cancelled thread that was joined is not. */
Test(waits, exit_and_cancel)
{
    tlt_proc *p = tlt_start("wait_lifecycle", NULL);
    tlt_dump(p);
    tlt_expect_sorted(p);
    tlt_expect_no_lib_frames(p);
    tlt_expect_count(p, "exited_unjoined", 9);
    tlt_expect_count(p, "created", 10);
    tlt_expect_count(p, "joined", 1);
    tlt_expect_count(p, "live", 1);
    tlt_expect(p, tlt_group_total(p, "exited", NULL) == 9,
               "the exited groups should hold 9 threads, they hold %ld",
               tlt_group_total(p, "exited", NULL));
    /* Each way of ending is its own group (its own creation stack). */
    json_t *g = tlt_largest(p);
    tlt_expect_group(p, g, "exited", NULL, 4);
    tlt_expect_on_stack(p, g, "spawn_stack", "end_threads");
    tlt_expect_text(p, "\n4 threads \u00b7 exited, never joined or detached\n");
    tlt_expect_text(p, "\n3 threads \u00b7 exited, never joined or detached\n");
    tlt_expect_text(p, "\n2 threads \u00b7 exited, never joined or detached\n");
    tlt_stop(p);
}

/* Threads started, and blocked, at different call sites of one source line
 * (what an unrolled loop leaves) are one group: groups are keyed by source
 * frames where the binary has line information. */
Test(waits, same_line_call_sites_group_together)
{
    tlt_proc *p = tlt_start("wait_same_line", NULL);
    tlt_dump(p);
    tlt_expect_leak(p, "blocked", "sem", 3, "same_line_waiter", "spawn_same_line");
    tlt_expect_text(p, "\n3 threads \u00b7 blocked in sem (sem_wait 0x");
    tlt_stop(p);
}
