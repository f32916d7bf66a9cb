/* Why blocked threads cannot move (tests/progs/deadlock_*.c): deadlock
 * cycles at the top of the dump (mutex, rwlock, join, mixed, a thread
 * waiting for itself), lock owners that exited, robust mutexes whose owner
 * died, the mutex of a condvar wait held by a stuck thread, and programs
 * with heavy lock contention that must never show a cycle. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/deadlock.h"
#include "lib/tlt.h"

TestSuite(deadlock, .fini = tlt_cleanup, .timeout = 60);

static tlt_proc *start_mode(const char *prog, const char *mode, const char *const *env)
{
    const char *argv[] = {tlt_prog_path(prog), mode, NULL};
    return tlt_start_argv(argv, env);
}

/* tlt_printed's value lives until its next call. */
static const char *printed(tlt_proc *p, const char *key)
{
    static char keep[4][64];
    static int next;
    char *v = keep[next++ % 4];
    snprintf(v, sizeof keep[0], "%s", tlt_printed(p, key));
    return v;
}

/* Dumps until one shows a deadlock (a slow machine may not have put every
 * thread into its last wait by "ready"), at most 10 times. */
static void dump_deadlocked(tlt_proc *p)
{
    for (int i = 0; i < 10; i++) {
        tlt_dump(p);
        if (json_array_size(json_object_get(p->json, "deadlocks")) > 0)
            return;
        usleep(200 * 1000);
    }
}

Test(deadlock, mutex_two_threads)
{
    tlt_proc *p = start_mode("deadlock_cycle", "mutex2", NULL);
    dump_deadlocked(p);
    const char *objs[] = {printed(p, "lock0"), printed(p, "lock1"), NULL};
    tlt_expect_cycle(p, tlt_only_deadlock(p, 2), "mutex", objs, "take_in_order");
    tlt_expect_text(p, "\ndeadlock: 2 threads\n  thread ");
    tlt_expect_text(p, "blocked in mutex (pthread_mutex_lock 0x");
    /* At the top: before the first group. */
    tlt_expect(p,
               strstr(p->text, "deadlock: 2") <
                   strstr(p->text, " \u00b7 blocked in mutex (pthread_mutex_lock, 2 objects)"),
               "the deadlock is not above the groups");
    tlt_stop(p);
}

Test(deadlock, mutex_three_threads)
{
    tlt_proc *p = start_mode("deadlock_cycle", "mutex3", NULL);
    dump_deadlocked(p);
    const char *objs[] = {printed(p, "lock0"), printed(p, "lock1"), printed(p, "lock2"), NULL};
    tlt_expect_cycle(p, tlt_only_deadlock(p, 3), "mutex", objs, "take_in_order");
    tlt_expect_text(p, "\ndeadlock: 3 threads\n");
    tlt_stop(p);
}

Test(deadlock, rwlock_writers)
{
    tlt_proc *p = start_mode("deadlock_cycle", "rwlock", NULL);
    dump_deadlocked(p);
    json_t *c = tlt_only_deadlock(p, 2);
    tlt_expect_cycle(p, c, "rwlock", NULL, "write_in_order");
    tlt_expect(p,
               strcmp(json_string_value(json_object_get(json_array_get(c, 0), "wait_call")),
                      "pthread_rwlock_wrlock") == 0,
               "wait_call is not pthread_rwlock_wrlock");
    tlt_stop(p);
}

Test(deadlock, join_cycle)
{
    tlt_proc *p = start_mode("deadlock_cycle", "join3", NULL);
    dump_deadlocked(p);
    tlt_expect_cycle(p, tlt_only_deadlock(p, 3), "join", NULL, "join_next");
    tlt_expect_text(p, ", joining thread ");
    /* Each joiner's group names the thread it joins. */
    json_t *g = tlt_find_group(p, "blocked", "join");
    tlt_expect(p, g != NULL, "no join group");
    tlt_stop(p);
}

Test(deadlock, join_and_mutex)
{
    tlt_proc *p = start_mode("deadlock_cycle", "join_mutex", NULL);
    dump_deadlocked(p);
    json_t *c = tlt_only_deadlock(p, 2);
    tlt_expect_cycle(p, c, NULL, NULL, NULL);
    json_t *j = tlt_find_group_fn(p, "blocked", "join", "hold_and_join");
    json_t *o = json_object_get(j, "owner");
    tlt_expect(p,
               o && strcmp(json_string_value(json_object_get(o, "state")), "blocked") == 0 &&
                   strcmp(json_string_value(json_object_get(o, "wait")), "mutex") == 0,
               "the join group's owner is not the joined thread, blocked in mutex");
    tlt_expect_text(p, "  joins thread ");
    tlt_expect_text(p, "blocked in mutex at lock_shared deadlock_cycle.c:");
    tlt_stop(p);
}

Test(deadlock, waiting_for_itself)
{
    tlt_proc *p = start_mode("deadlock_cycle", "self", NULL);
    dump_deadlocked(p);
    /* glibc refuses to join the calling thread; the program still sees that. */
    tlt_expect(p, atoi(tlt_printed(p, "selfjoin")) == EDEADLK,
               "pthread_join(self) was not EDEADLK");
    json_t *c = tlt_only_deadlock(p, 1);
    tlt_expect_cycle(p, c, "mutex", NULL, "relock_own");
    tlt_expect_text(p, "\ndeadlock: 1 thread waiting for itself\n");
    tlt_stop(p);
}

Test(deadlock, orphaned_mutex)
{
    tlt_proc *p = start_mode("deadlock_orphan", "orphan", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_lock");
    tlt_expect_group(p, g, "blocked", "mutex", 3);
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p, o && strcmp(json_string_value(json_object_get(o, "state")), "exited") == 0,
               "the owner is not shown as exited");
    tlt_expect(p, strcmp(json_string_value(json_object_get(o, "name")), "grabber") == 0,
               "the owner's name is not grabber");
    json_t *at = json_object_get(o, "at");
    tlt_expect(
        p, at && strcmp(json_string_value(json_object_get(at, "function")), "grab_and_quit") == 0,
        "the owner's start routine is not grab_and_quit");
    tlt_expect(p, tlt_owner_has_flag(o, "exited"), "flags lack \"exited\"");
    tlt_expect_text(p, "(grabber), which exited; started in grab_and_quit deadlock_orphan.c:");
    tlt_expect_no_deadlock(p);
    tlt_stop(p);
}

Test(deadlock, robust_owner_died)
{
    tlt_proc *p = start_mode("deadlock_orphan", "robust", NULL);
    tlt_dump(p);
    tlt_expect(p, atoi(tlt_printed(p, "relock")) == EOWNERDEAD, "relock was not EOWNERDEAD");
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_lock");
    tlt_expect_group(p, g, "blocked", "mutex", 1);
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p, o && json_integer_value(json_object_get(o, "tid")) == p->pid,
               "the owner is not the main thread");
    tlt_expect(p, tlt_owner_has_flag(o, "owner_died"), "flags lack \"owner_died\"");
    tlt_expect_text(p, "held by thread ");
    tlt_expect_text(p, "(main), blocked in sleep at wait_forever");
    tlt_expect_text(p, "a previous owner died holding it and it was not made consistent");
    tlt_expect_no_deadlock(p);
    tlt_stop(p);
}

Test(deadlock, lock_memory_unmapped_is_unknown)
{
    tlt_proc *p = start_mode("deadlock_orphan", "unmapped", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_mapped");
    tlt_expect_group(p, g, "blocked", "mutex", 1);
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p,
               o && tlt_owner_has_flag(o, "unreadable") && json_is_null(json_object_get(o, "tid")),
               "the owner of an unmapped mutex is not unknown");
    tlt_expect_text(p, "  owner unknown: the lock is not readable");
    tlt_dump(p); /* and the program is still there for a second one */
    tlt_expect_alive(p);
    tlt_stop(p);
}

Test(deadlock, cond_mutex_held_by_stuck_thread)
{
    const char *env[] = {"THREADLEAK_DETAIL=threads", NULL};
    tlt_proc *p = tlt_start("deadlock_cond", env);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "cond", "cond_waiter");
    tlt_expect_group(p, g, "blocked", "cond", 1);
    json_t *o = json_object_get(g, "owner");
    tlt_expect(
        p,
        o && json_is_string(json_object_get(o, "mutex")) &&
            strcmp(json_string_value(json_object_get(o, "mutex")), tlt_printed(p, "mutex")) == 0,
        "owner.mutex is not the mutex the wait passed");
    tlt_expect(
        p,
        strcmp(json_string_value(json_object_get(o, "name")), "holder") == 0 &&
            strcmp(json_string_value(json_object_get(o, "wait")), "mutex") == 0 &&
            strcmp(json_string_value(json_object_get(o, "object")), tlt_printed(p, "gate")) == 0,
        "the mutex's owner is not 'holder' blocked on the gate mutex");
    char line[256];
    snprintf(line, sizeof line, "  mutex %s held by thread ", tlt_printed(p, "mutex"));
    tlt_expect_text(p, line);
    tlt_expect_text(p, "(holder), blocked in mutex at stuck_holder deadlock_cond.c:");
    /* The same per thread with DETAIL=threads. */
    json_t *threads = json_object_get(p->json, "threads"), *t;
    size_t i;
    int seen = 0;
    json_array_foreach(threads, i, t)
    {
        json_t *to = json_object_get(t, "owner");
        if (to && json_object_get(to, "mutex"))
            seen = strcmp(json_string_value(json_object_get(to, "name")), "holder") == 0;
    }
    tlt_expect(p, seen, "no thread entry has the cond mutex's owner");
    tlt_expect_no_deadlock(p);
    tlt_stop(p);
}

/* C11 threads: mtx_t is a pthread_mutex_t, cnd_wait passes its mutex,
 * thrd_join names the joined thread (tests/progs/lang_c11.c). */
Test(deadlock, c11_owners_and_join_targets)
{
    tlt_proc *p = tlt_start("lang_c11", NULL);
    tlt_dump(p);
    json_t *m = tlt_find_group_fn(p, "blocked", "mutex", "c11_mtx_waiter");
    json_t *o = json_object_get(m, "owner");
    tlt_expect(p, o && json_integer_value(json_object_get(o, "tid")) == p->pid,
               "the mtx_lock group's owner is not main");
    json_t *c = tlt_find_group_fn(p, "blocked", "cond", "c11_cnd_waiter");
    o = json_object_get(c, "owner");
    tlt_expect(p,
               o && json_is_string(json_object_get(o, "mutex")) &&
                   json_is_null(json_object_get(o, "tid")),
               "the cnd_wait group does not show its mutex, not held");
    tlt_expect_text(p, " not held\n");
    json_t *j = tlt_find_group(p, "blocked", "join");
    o = json_object_get(j, "owner");
    tlt_expect(p, o || json_integer_value(json_object_get(j, "objects")) > 1,
               "a join group on one thread has no owner");
    tlt_expect_text(p, "  joins thread ");
    tlt_expect_text(p, ", blocked in cond at c11_cnd_waiter");
    tlt_expect_no_deadlock(p);
    tlt_stop(p);
}

/* A cycle reported where there is none is a defect, like a false leak:
 * dumps of a program that locks hard but in order, many times over. */
Test(deadlock, contention_never_a_cycle, .timeout = 600)
{
    const char *stress = getenv("THREADLEAK_STRESS");
    int runs = stress && strcmp(stress, "1") == 0 ? 50 : 5;
    long waits_seen = 0;
    for (int r = 0; r < runs; r++) {
        tlt_proc *p = tlt_start("deadlock_contention", NULL);
        for (int k = 0; k < 3; k++) {
            tlt_dump(p);
            tlt_expect_no_deadlock(p);
            waits_seen += tlt_by_wait(p, "mutex") + tlt_by_wait(p, "rwlock");
        }
        tlt_stop(p);
    }
    cr_expect(waits_seen > 0, "no dump caught a lock wait: the program did not contend");
}

/* ---- threadleak run ---- */

Test(deadlock, run_verdict_names_the_cycle)
{
    const char *args[] = {"--", tlt_prog_path("deadlock_cycle"), "mutex3", NULL};
    cli_result *r = cli_run(NULL, args);
    cr_expect_eq(r->status, 3, "status %d, stderr:\n%s", r->status, r->err);
    cr_expect(strstr(r->err, "threadleak: verdict: leak (deadlock): exit status 3"), "%s", r->err);
    cr_expect(strstr(r->err, "\ndeadlock: 3 threads\n"), "%s", r->err);
    cr_expect(strstr(r->err, "#0  take_in_order"), "%s", r->err);
    json_t *v = cli_verdict(r);
    cr_expect(cli_has_reason(v, "deadlock"));
    json_t *dl = json_object_get(json_object_get(v, "deadlock"), "deadlocks");
    cr_expect_eq(json_array_size(json_object_get(json_array_get(dl, 0), "threads")), 3);
    json_decref(v);
    cli_free(r);
}

Test(deadlock, run_fail_on_without_deadlock_only_notes_it)
{
    /* 4 s: the cycle must be in two dumps, asked for at 0.5, 1 and 2 s and
     * before the stop; on a loaded machine 2 s left room for one. */
    const char *args[] = {"--fail-on", "growth,exit", "--duration",
                          "4s",        "--",          tlt_prog_path("deadlock_cycle"),
                          "rwlock",    NULL};
    cli_result *r = cli_run(NULL, args);
    cr_expect_eq(r->status, 0, "status %d, stderr:\n%s", r->status, r->err);
    cr_expect(strstr(r->err, "note (not failing, see --fail-on): deadlock: 2 threads"), "%s",
              r->err);
    cli_free(r);
}

Test(deadlock, run_contention_is_no_deadlock)
{
    const char *args[] = {"--duration", "3s", "--", tlt_prog_path("deadlock_contention"), NULL};
    cli_result *r = cli_run(NULL, args);
    cr_expect(!strstr(r->err, "deadlock"), "%s", r->err);
    json_t *v = cli_verdict(r);
    cr_expect(!cli_has_reason(v, "deadlock"));
    cr_expect(json_is_null(json_object_get(v, "deadlock")));
    json_decref(v);
    cli_free(r);
}

/* ---- the command reads them back ---- */

Test(deadlock, report_renders_owners_and_deadlocks_again)
{
    const char *env[] = {"THREADLEAK_DETAIL=threads", NULL};
    tlt_proc *p = start_mode("deadlock_cycle", "join_mutex", env);
    tlt_dump(p);
    char path[512];
    snprintf(path, sizeof path, "%s/dump.%d.1.json", p->dir, (int)p->pid);
    cli_result *r = cli_new();
    const char *text[] = {cli_threadleak(), "report", path, NULL};
    cli_exec(r, NULL, 0, text, NULL);
    tlt_expect(p, r->status == 0 && r->out && strcmp(r->out, p->text) == 0,
               "threadleak report's text differs from the library's:\n%s", r->out ? r->out : "");
    cli_free(r);
    r = cli_new();
    const char *json[] = {cli_threadleak(), "report", "--format", "json", path, NULL};
    cli_exec(r, NULL, 0, json, NULL);
    char *dumped = json_dumps(p->json, JSON_SORT_KEYS);
    json_t *again = json_loads(r->out ? r->out : "", 0, NULL);
    char *redone = again ? json_dumps(again, JSON_SORT_KEYS) : NULL;
    tlt_expect(p, redone && strcmp(dumped, redone) == 0,
               "threadleak report --format json lost something of the owners or deadlocks");
    free(dumped);
    free(redone);
    json_decref(again);
    cli_free(r);
    tlt_stop(p);
}
