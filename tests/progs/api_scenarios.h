/* The API's scenarios, shared by tests/test_api.c (linked with -lthreadleak,
 * one scenario per Criterion test process) and tests/progs/api_preloaded.c
 * (the library preloaded, the API found with dlsym): each scenario starts
 * threads, calls threadleak_verify_none through `api` with its options and
 * the report going to `report`, and returns what it returned.
 *
 * The functions named here are what the reports must name: a thread blocked
 * forever runs blocked_forever(), created by spawn_blocked(); the creation
 * stacks of the other kinds have spawn_sleeper() / spawn_exited(). */
#ifndef API_SCENARIOS_H
#define API_SCENARIOS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../include/threadleak.h"

#define API_NOINLINE __attribute__((noinline, noclone))

struct api {
    int (*active)(void);
    threadleak_snapshot *(*snapshot_take)(void);
    void (*snapshot_free)(threadleak_snapshot *);
    int (*verify_none)(const threadleak_options *);
    int (*dump)(const char *, const char *);
};

struct api_scenario {
    const char *name;
    int leaks;             /* what threadleak_verify_none must return */
    const char *report[4]; /* what its report must contain (NULL-ended) */
    const char *absent[2]; /* and must not */
};

/* Leaks are looked for with a short timeout so a failing case stays fast. */
#define API_SHORT_MS 100

static const struct api_scenario api_scenarios[] = {
    {"joined", 0, {NULL}, {"threadleak", NULL}},
    {"detached_finish", 0, {NULL}, {"threadleak", NULL}},
    {"unjoined", 1, {"exited, never joined", "spawn_exited", NULL}, {NULL}},
    {"blocked", 1, {"blocked in cond", "blocked_forever", "created by", "spawn_blocked"}, {NULL}},
    {"three_blocked",
     3,
     {"found 3 unexpected threads", "3 threads", "blocked_forever", NULL},
     {NULL}},
    {"ignore_blocked_stack", 0, {NULL}, {"threadleak", NULL}},
    {"ignore_creation_stack", 0, {NULL}, {"threadleak", NULL}},
    {"ignore_unrelated", 1, {"blocked_forever", "spawn_blocked", NULL}, {NULL}},
    {"ignore_some", 1, {"sleeper", "spawn_sleeper", NULL}, {"blocked_forever", NULL}},
    {"baseline_all", 0, {NULL}, {"threadleak", NULL}},
    {"baseline_newer", 1, {"found 1 unexpected thread", "blocked_forever", NULL}, {NULL}},
    {"timeout_long", 0, {NULL}, {"threadleak", NULL}},
    {"timeout_short", 1, {"blocked in sleep", "sleeper", "spawn_sleeper", NULL}, {NULL}},
    {"deadlocked", 2, {"\ndeadlock: 2 threads\n", "#0  lock_pair", NULL}, {NULL}},
};
#define API_N_SCENARIOS ((int)(sizeof api_scenarios / sizeof api_scenarios[0]))

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t api_never = PTHREAD_COND_INITIALIZER;
static int api_blocked_started; /* under api_lock */
static volatile int api_sleepers_started;

static void *blocked_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&api_lock);
    api_blocked_started++;
    for (;;)
        pthread_cond_wait(&api_never, &api_lock);
    return NULL;
}

static void *sleeper(void *arg)
{
    unsigned ms = (unsigned)(uintptr_t)arg;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    __atomic_add_fetch(&api_sleepers_started, 1, __ATOMIC_SEQ_CST);
    nanosleep(&ts, NULL);
    return NULL;
}

static volatile pid_t api_exited_tid;

static void *finishes_at_once(void *arg)
{
    (void)arg;
    api_exited_tid = (pid_t)syscall(SYS_gettid);
    return NULL;
}

/* Returns once the new thread is inside pthread_cond_wait: it has let go
 * of api_lock, which it only does there. So a report names where it is
 * blocked however slowly the machine schedules it. */
API_NOINLINE static void spawn_blocked(void)
{
    pthread_mutex_lock(&api_lock);
    int before = api_blocked_started;
    pthread_mutex_unlock(&api_lock);
    pthread_t t;
    pthread_create(&t, NULL, blocked_forever, NULL);
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&api_lock);
        int started = api_blocked_started > before;
        pthread_mutex_unlock(&api_lock);
        if (started)
            return;
        usleep(1000);
    }
}

/* A thread sleeping ms; returns once it is about to sleep. */
API_NOINLINE static pthread_t spawn_sleeper(unsigned ms, int detach)
{
    int before = __atomic_load_n(&api_sleepers_started, __ATOMIC_SEQ_CST);
    pthread_t t;
    pthread_create(&t, NULL, sleeper, (void *)(uintptr_t)ms);
    if (detach)
        pthread_detach(t);
    for (int i = 0; i < 10000 && __atomic_load_n(&api_sleepers_started, __ATOMIC_SEQ_CST) == before;
         i++)
        usleep(500);
    return t;
}

/* Starts a joinable thread and returns once the kernel has seen it end. */
API_NOINLINE static void spawn_exited(void)
{
    pthread_t t;
    api_exited_tid = 0;
    pthread_create(&t, NULL, finishes_at_once, NULL);
    for (int i = 0; i < 2000 && !api_exited_tid; i++)
        usleep(1000);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)api_exited_tid);
    struct stat st;
    for (int i = 0; i < 2000 && stat(path, &st) == 0; i++)
        usleep(1000);
    usleep(10000); /* past the exit hook */
}

static pthread_mutex_t api_pair[2] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t api_pair_held;

static void *lock_pair(void *arg)
{
    int i = (int)(uintptr_t)arg;
    pthread_mutex_lock(&api_pair[i]);
    pthread_barrier_wait(&api_pair_held);
    pthread_mutex_lock(&api_pair[1 - i]);
    return NULL;
}

/* Two threads that lock two mutexes in opposite orders; returns once both
 * hold their first. */
API_NOINLINE static void spawn_deadlocked(void)
{
    pthread_t t;
    pthread_barrier_init(&api_pair_held, NULL, 3);
    for (uintptr_t i = 0; i < 2; i++)
        pthread_create(&t, NULL, lock_pair, (void *)i);
    pthread_barrier_wait(&api_pair_held);
    usleep(20000); /* into their second lock */
}

static int api_run_scenario(const struct api *api, const char *name, FILE *report)
{
    threadleak_options o;
    memset(&o, 0, sizeof o);
    o.report = report;
    o.timeout_ms = API_SHORT_MS;
    static const char *const ignore_blocked[] = {"nothing_here", "blocked_fore*", NULL};
    static const char *const ignore_creation[] = {"spawn_bl?cked", NULL};
    static const char *const ignore_unrelated[] = {"blocked", "spawn_*x", "*_forever_*", NULL};

    if (strcmp(name, "joined") == 0) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            t[i] = spawn_sleeper(10, 0);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        return api->verify_none(&o);
    }
    if (strcmp(name, "detached_finish") == 0) {
        for (int i = 0; i < 3; i++)
            spawn_sleeper(30, 1);
        o.timeout_ms = 2000;
        return api->verify_none(&o);
    }
    if (strcmp(name, "unjoined") == 0) {
        spawn_exited();
        return api->verify_none(&o);
    }
    if (strcmp(name, "blocked") == 0) {
        spawn_blocked();
        return api->verify_none(&o);
    }
    if (strcmp(name, "three_blocked") == 0) {
        /* One call site, so one group: a loop the compiler unrolled would
         * give three creation stacks that differ in their return address. */
        for (volatile int i = 0; i < 3; i++)
            spawn_blocked();
        return api->verify_none(&o);
    }
    if (strcmp(name, "deadlocked") == 0) {
        spawn_deadlocked();
        o.timeout_ms = 1000; /* the last look, after a second: both are in their lock */
        return api->verify_none(&o);
    }
    if (strcmp(name, "ignore_blocked_stack") == 0) {
        spawn_blocked();
        o.ignore = ignore_blocked;
        return api->verify_none(&o);
    }
    if (strcmp(name, "ignore_creation_stack") == 0) {
        spawn_blocked();
        o.ignore = ignore_creation;
        return api->verify_none(&o);
    }
    if (strcmp(name, "ignore_unrelated") == 0) {
        spawn_blocked();
        o.ignore = ignore_unrelated;
        return api->verify_none(&o);
    }
    if (strcmp(name, "ignore_some") == 0) {
        spawn_blocked();
        spawn_sleeper(60000, 1);
        o.ignore = ignore_blocked;
        return api->verify_none(&o);
    }
    if (strcmp(name, "baseline_all") == 0) {
        spawn_blocked();
        spawn_sleeper(60000, 0);
        threadleak_snapshot *s = api->snapshot_take();
        o.baseline = s;
        int n = api->verify_none(&o);
        api->snapshot_free(s);
        return n;
    }
    if (strcmp(name, "baseline_newer") == 0) {
        spawn_blocked();
        threadleak_snapshot *s = api->snapshot_take();
        spawn_blocked();
        o.baseline = s;
        int n = api->verify_none(&o);
        api->snapshot_free(s);
        return n;
    }
    if (strcmp(name, "timeout_long") == 0) {
        /* Ends long before the timeout, however slow the machine: verify_none
         * returns once it has, so the margin costs nothing. */
        spawn_sleeper(300, 1);
        o.timeout_ms = 5000;
        return api->verify_none(&o);
    }
    if (strcmp(name, "timeout_short") == 0) {
        /* Asleep far longer than the timeout, however slow the machine. */
        spawn_sleeper(3000, 1);
        o.timeout_ms = 50;
        return api->verify_none(&o);
    }
    fprintf(report, "no scenario %s\n", name);
    return -1000;
}

#endif
