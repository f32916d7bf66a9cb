/* The library's pure parts in-process, the unit tier (as heaptrack's
 * tst_libheaptrack): THREADLEAK_* parsing and the one line it says about a
 * value it refuses, the dump path expander, stack interning, and the names
 * of states and waits as dumps spell them. Linked with the library's own
 * objects (Makefile: PRELOAD_UNIT_OBJ), so what is tested is what ships. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/env_syntax.h"
#include "common/model.h"
#include "lib/env_cases.h"
#include "lib/stubs/unloaded.h"
#include "preload/config.h"
#include "preload/log.h"
#include "preload/running_restart.h"
#include "preload/stacks.h"

TestSuite(config, .timeout = 30);
TestSuite(stem, .timeout = 30);
TestSuite(intern, .timeout = 30);
TestSuite(names, .timeout = 30);
TestSuite(restart, .timeout = 30);

/* ---- THREADLEAK_* ---- */

static char said[8192];

static void collect(const char *line)
{
    strncat(said, line, sizeof said - strlen(said) - 2);
    strcat(said, "\n");
}

static const char *const *vars; /* "VAR=value", NULL-terminated */

static const char *lookup(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *v = vars; v && *v; v++)
        if (!strncmp(*v, name, n) && (*v)[n] == '=')
            return *v + n + 1;
    return NULL;
}

/* The configuration from these variables; what it said in `said`. */
static struct tl_config parse(const char *const *env, int secure)
{
    struct tl_config c;
    said[0] = 0;
    vars = env;
    tl_config_parse(&c, lookup, collect, secure);
    return c;
}

static struct tl_config parse1(const char *var, const char *value)
{
    static char entry[8192];
    snprintf(entry, sizeof entry, "%s=%s", var, value);
    const char *env[] = {entry, NULL};
    return parse(env, 0);
}

Test(config, nothing_set_is_the_documented_defaults)
{
    struct tl_config c = parse(NULL, 0);
    cr_expect_str_empty(said);
    cr_expect_eq(c.signal, SIGUSR1);
    cr_expect_str_eq(c.output, "threadleak.%p.%n");
    cr_expect_eq(c.formats, TL_FORMAT_TEXT);
    cr_expect_eq(c.detail_threads, 0);
    cr_expect_eq(c.interval_ms, 1000);
    cr_expect_str_empty(c.series);
    cr_expect_eq(c.exit_dump, 0);
    cr_expect_eq(c.counters, 1);
    cr_expect_eq(c.frames, 32);
    cr_expect_eq(c.log_level, TL_LOG_WARN);
}

/* Every value of tests/lib/env_cases.c: exactly its line, or none. */
Test(config, each_value_says_its_one_line_or_nothing)
{
    char expected[1024];
    for (size_t i = 0; i < tlt_env_case_count; i++) {
        const struct tlt_env_case *e = &tlt_env_cases[i];
        parse1(e->var, e->value);
        snprintf(expected, sizeof expected, e->said ? "%s\n" : "%s", e->said ? e->said : "");
        cr_expect_str_eq(said, expected, "%s=\"%.40s\": expected\n%sgot\n%s", e->var, e->value,
                         e->said ? expected : "(nothing)\n", said);
    }
}

Test(config, takes_the_values_it_accepts)
{
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "USR2").signal, SIGUSR2);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "SIGUSR2").signal, SIGUSR2);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "12").signal, 12);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "none").signal, 0);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "RTMIN+1").signal, SIGRTMIN + 1);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "RTMAX-1").signal, SIGRTMAX - 1);
    cr_expect_eq(parse1("THREADLEAK_FORMAT", "json").formats, TL_FORMAT_JSON);
    cr_expect_eq(parse1("THREADLEAK_FORMAT", "json,text").formats, TL_FORMAT_TEXT | TL_FORMAT_JSON);
    cr_expect_eq(parse1("THREADLEAK_DETAIL", "threads").detail_threads, 1);
    cr_expect_eq(parse1("THREADLEAK_DETAIL", "groups").detail_threads, 0);
    cr_expect_eq(parse1("THREADLEAK_INTERVAL_MS", "10").interval_ms, 10);
    cr_expect_eq(parse1("THREADLEAK_INTERVAL_MS", "3600000").interval_ms, 3600000);
    cr_expect_eq(parse1("THREADLEAK_INTERVAL_MS", "0250").interval_ms, 250);
    cr_expect_eq(parse1("THREADLEAK_EXIT_DUMP", "1").exit_dump, 1);
    cr_expect_eq(parse1("THREADLEAK_COUNTERS", "0").counters, 0);
    cr_expect_eq(parse1("THREADLEAK_FRAMES", "1").frames, 1);
    cr_expect_eq(parse1("THREADLEAK_FRAMES", "128").frames, 128);
    cr_expect_eq(parse1("THREADLEAK_LOG", "quiet").log_level, TL_LOG_QUIET);
    cr_expect_eq(parse1("THREADLEAK_LOG", "debug").log_level, TL_LOG_DEBUG);
    cr_expect_str_eq(parse1("THREADLEAK_OUTPUT", "/var/tmp/d.%p-%n%%").output,
                     "/var/tmp/d.%p-%n%%");
    cr_expect_str_eq(parse1("THREADLEAK_SERIES", "series.jsonl").series, "series.jsonl");
    cr_expect_str_empty(said);
}

Test(config, a_refused_value_leaves_the_default)
{
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "11").signal, SIGUSR1);
    cr_expect_eq(parse1("THREADLEAK_SIGNAL", "KILL").signal, SIGUSR1);
    cr_expect_eq(parse1("THREADLEAK_FORMAT", "xml").formats, TL_FORMAT_TEXT);
    cr_expect_eq(parse1("THREADLEAK_INTERVAL_MS", "9").interval_ms, 1000);
    cr_expect_eq(parse1("THREADLEAK_FRAMES", "129").frames, 32);
    cr_expect_eq(parse1("THREADLEAK_COUNTERS", "2").counters, 1);
    cr_expect_str_eq(parse1("THREADLEAK_OUTPUT", "d.%x").output, "threadleak.%p.%n");
    cr_expect_str_empty(parse1("THREADLEAK_SERIES", "").series);
    cr_expect_eq(parse1("THREADLEAK_LOG", "loud").log_level, TL_LOG_WARN);
}

/* One line per refused value, in the order of the variables; the good
 * ones are taken meanwhile. */
Test(config, several_bad_values_one_line_each)
{
    const char *env[] = {"THREADLEAK_FRAMES=0", "THREADLEAK_SIGNAL=SEGV",
                         "THREADLEAK_INTERVAL_MS=50", "THREADLEAK_FORMAT=yaml", NULL};
    struct tl_config c = parse(env, 0);
    cr_expect_str_eq(said,
                     "THREADLEAK_SIGNAL=SEGV: not a catchable signal name or number, or none; "
                     "using USR1\n"
                     "THREADLEAK_FORMAT=yaml: not text, json or text,json; using text\n"
                     "THREADLEAK_FRAMES=0: not a whole number from 1 to 128; using 32\n");
    cr_expect_eq(c.interval_ms, 50);
}

Test(config, quiet_says_nothing_about_the_others)
{
    const char *env[] = {"THREADLEAK_LOG=quiet", "THREADLEAK_FRAMES=abc",
                         "THREADLEAK_OUTPUT=", NULL};
    struct tl_config c = parse(env, 0);
    cr_expect_str_empty(said);
    cr_expect_eq(c.frames, 32);
    cr_expect_str_eq(c.output, "threadleak.%p.%n");
}

/* AT_SECURE (setuid): no path from the environment, said once each; the
 * other variables still count. */
Test(config, a_setuid_process_takes_no_paths)
{
    const char *env[] = {"THREADLEAK_OUTPUT=/etc/evil.%p", "THREADLEAK_SERIES=/etc/series",
                         "THREADLEAK_FRAMES=64", NULL};
    struct tl_config c = parse(env, 1);
    cr_expect_str_eq(said,
                     "THREADLEAK_OUTPUT=/etc/evil.%p: ignored in a setuid or AT_SECURE process; "
                     "using threadleak.%p.%n\n"
                     "THREADLEAK_SERIES=/etc/series: ignored in a setuid or AT_SECURE process; "
                     "using none\n");
    cr_expect_str_eq(c.output, "threadleak.%p.%n");
    cr_expect_str_empty(c.series);
    cr_expect_eq(c.frames, 64);
}

/* Room is kept for the dump number and suffixes: a stem up to PATH_MAX - 33
 * bytes is taken. */
Test(config, path_length_limit)
{
    static char path[PATH_MAX];
    memset(path, 'p', PATH_MAX - 33);
    path[PATH_MAX - 33] = 0;
    cr_expect_eq(strlen(parse1("THREADLEAK_OUTPUT", path).output), PATH_MAX - 33);
    cr_expect_str_empty(said);
    path[PATH_MAX - 33] = 'p';
    path[PATH_MAX - 32] = 0;
    parse1("THREADLEAK_OUTPUT", path);
    cr_expect(strstr(said, "...: path too long; using threadleak.%p.%n\n") != NULL, "%s", said);
}

/* ---- the dump path: %p, %n, %% ---- */

static const char *expanded(const char *stem, int pid, int number, size_t size)
{
    static char out[PATH_MAX];
    cr_assert_leq(size, sizeof out);
    return tl_expand_stem(stem, pid, number, out, size) == 0 ? out : NULL;
}

Test(stem, pid_number_and_percent)
{
    cr_expect_str_eq(expanded("threadleak.%p.%n", 4242, 1, 256), "threadleak.4242.1");
    cr_expect_str_eq(expanded("/tmp/d-%n-%p-%n", 7, 12, 256), "/tmp/d-12-7-12");
    cr_expect_str_eq(expanded("100%%-%%p", 7, 1, 256), "100%-%p");
    cr_expect_str_eq(expanded("plain", 7, 1, 256), "plain");
    cr_expect_str_eq(expanded("", 7, 1, 256), "");
}

/* A stem that does not fit is refused whole, never cut. */
Test(stem, what_does_not_fit_is_refused)
{
    cr_expect_str_eq(expanded("d.%p", 12345, 1, 11), "d.12345");
    cr_expect_null(expanded("d.%p", 12345, 1, 7));
    cr_expect_str_eq(expanded("dump.%n", 1, 1000000, 13), "dump.1000000");
    cr_expect_null(expanded("dump.%n", 1, 1000000, 12));
}

/* What the library accepts as a stem (THREADLEAK_OUTPUT) is what it expands. */
Test(stem, the_accepted_stems)
{
    cr_expect_eq(tl_check_stem("a.%p.%n.%%"), 0);
    cr_expect_eq(tl_check_stem("no percent"), 0);
    cr_expect_eq(tl_check_stem("a.%d"), -1);
    cr_expect_eq(tl_check_stem("a.%"), -1);
    cr_expect_eq(tl_check_stem("%P"), -1);
}

/* ---- interned stacks ---- */

static const uint64_t stack_a[] = {0x401000, 0x401100, 0x7f0000001000};
static const uint64_t stack_b[] = {0x401000, 0x401100, 0x7f0000002000};

Test(intern, nothing_before_init)
{
    cr_expect_eq(tl_intern(stack_a, 3), 0);
}

Test(intern, one_id_per_distinct_stack)
{
    cr_assert_eq(tl_intern_init(), 0);
    uint32_t a = tl_intern(stack_a, 3), b = tl_intern(stack_b, 3), a2 = tl_intern(stack_a, 2);
    cr_expect_neq(a, 0);
    cr_expect_neq(b, 0);
    cr_expect_neq(a2, 0);
    cr_expect_eq(tl_intern(stack_a, 3), a, "the same stack twice should be one record");
    cr_expect_neq(a, b);
    cr_expect_neq(a, a2, "a stack and its prefix are two stacks");
    cr_expect_eq(tl_intern(stack_a, 0), 0, "an empty stack is not stored");
}

Test(intern, a_stack_reads_back_with_its_epoch)
{
    cr_assert_eq(tl_intern_init(), 0);
    tlt_stub_unload_epoch = 3;
    uint32_t id = tl_intern(stack_b, 3);
    const uint64_t *ips;
    uint32_t epoch;
    cr_assert_eq(tl_stack_get(id, &ips, &epoch), 3);
    cr_expect_eq(epoch, 3);
    cr_expect_arr_eq(ips, stack_b, sizeof stack_b);
    cr_expect_eq(tl_stack_get(0, &ips, &epoch), 0);
    cr_expect_null(ips);
}

/* The same addresses after a dlclose may be another module's code: a
 * stack of a later unload epoch is another stack. */
Test(intern, the_same_addresses_after_an_unload_are_another_stack)
{
    cr_assert_eq(tl_intern_init(), 0);
    tlt_stub_unload_epoch = 0;
    uint32_t before = tl_intern(stack_a, 3);
    tlt_stub_unload_epoch = 1;
    uint32_t after = tl_intern(stack_a, 3);
    cr_expect_neq(before, after);
    cr_expect_eq(tl_intern(stack_a, 3), after);
}

Test(intern, many_stacks_all_kept_apart)
{
    cr_assert_eq(tl_intern_init(), 0);
    enum { N = 20000 };
    static uint32_t ids[N];
    for (int i = 0; i < N; i++) {
        uint64_t ips[4] = {0x400000, 0x500000 + (uint64_t)i * 16, 0x600000, (uint64_t)i};
        ids[i] = tl_intern(ips, 1 + i % 4);
        cr_assert_neq(ids[i], 0, "stack %d not stored", i);
    }
    for (int i = 0; i < N; i++) {
        uint64_t ips[4] = {0x400000, 0x500000 + (uint64_t)i * 16, 0x600000, (uint64_t)i};
        const uint64_t *got;
        uint32_t epoch;
        cr_assert_eq(tl_stack_get(ids[i], &got, &epoch), 1 + i % 4);
        cr_assert_arr_eq(got, ips, sizeof(uint64_t) * (1 + i % 4), "stack %d read back wrong", i);
        if (i % 4) /* depth 1 stacks are all {0x400000}: one record */
            cr_assert_eq(tl_intern(ips, 1 + i % 4), ids[i]);
    }
}

/* ---- names as dumps spell them (docs/formats.md) ---- */

Test(names, states_and_waits)
{
    const char *states[] = {"running", "blocked", "exited"};
    const char *waits[] = {NULL,      "join",  "mutex", "rwlock", "cond", "sem",
                           "barrier", "futex", "sleep", "io",     "poll", "child"};
    cr_assert_eq(TL_STATE_COUNT, 3);
    cr_assert_eq(TL_WAIT_COUNT, 12);
    for (int i = 0; i < TL_STATE_COUNT; i++) {
        cr_expect_str_eq(tl_state_name(i), states[i]);
        cr_expect_eq(tl_state_parse(states[i]), i);
    }
    cr_expect_null(tl_wait_name(TL_WAIT_NONE));
    cr_expect_eq(tl_wait_parse(NULL), TL_WAIT_NONE);
    for (int i = 1; i < TL_WAIT_COUNT; i++) {
        cr_expect_str_eq(tl_wait_name(i), waits[i]);
        cr_expect_eq(tl_wait_parse(waits[i]), i);
    }
    cr_expect_str_eq(tl_state_name(7), "unknown");
    cr_expect_null(tl_wait_name(TL_WAIT_COUNT));
    cr_expect_eq(tl_state_parse("sleeping"), -1);
    cr_expect_eq(tl_wait_parse("Mutex"), -1);
}

Test(names, which_objects_are_descriptors)
{
    cr_expect(tl_wait_object_is_fd(TL_WAIT_IO, "read"));
    cr_expect(tl_wait_object_is_fd(TL_WAIT_POLL, "epoll_wait"));
    cr_expect_not(tl_wait_object_is_fd(TL_WAIT_POLL, "select"));
    cr_expect_not(tl_wait_object_is_fd(TL_WAIT_POLL, "pselect6"));
    cr_expect_not(tl_wait_object_is_fd(TL_WAIT_CHILD, "waitpid"));
    cr_expect_not(tl_wait_object_is_fd(TL_WAIT_MUTEX, "pthread_mutex_lock"));
}

static const char *pattern(int n, const tl_name *names)
{
    static char out[20];
    memset(out, 'x', sizeof out);
    tl_names_pattern(names, n, out);
    return out;
}

Test(names, a_group_is_named_by_what_its_threads_share)
{
    const tl_name same[] = {"worker", "worker", "worker"};
    const tl_name numbered[] = {"pool-3-thread-7", "pool-3-thread-12", "pool-3-thread-9"};
    const tl_name other_tail[] = {"io-1-r", "io-2-w"};
    const tl_name mixed[] = {"worker-1", "main"};
    const tl_name unnamed[] = {"", ""};
    cr_expect_str_eq(pattern(3, same), "worker");
    cr_expect_str_eq(pattern(3, numbered), "pool-3-thread-*");
    cr_expect_str_empty(pattern(2, other_tail));
    cr_expect_str_empty(pattern(2, mixed));
    cr_expect_str_empty(pattern(2, unnamed));
    cr_expect_str_empty(pattern(0, same));
    cr_expect_str_eq(pattern(1, numbered), "pool-3-thread-7");
}

/* ---- a capture's restart of the system call it cut short ---- */

/* Two pages; the second holds `mov $nr,%eax; syscall` ending at offset
 * `at`, the registers as the kernel leaves them after it failed with
 * EINTR. */
static unsigned char *code_pages(void)
{
    unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(p != MAP_FAILED);
    return p;
}

static void after_syscall(greg_t *g, unsigned char *page, size_t at, uint32_t nr)
{
    unsigned char *b = page + at - 7;
    b[0] = 0xb8;
    memcpy(b + 1, &nr, 4);
    b[5] = 0x0f;
    b[6] = 0x05;
    memset(g, 0, sizeof(greg_t) * NGREG);
    g[REG_RAX] = -EINTR;
    g[REG_RIP] = (greg_t)(uintptr_t)(page + at);
}

Test(restart, a_call_the_kernel_leaves_to_its_caller_is_made_again)
{
    unsigned char *p = code_pages();
    greg_t g[NGREG];
    after_syscall(g, p, 100, SYS_poll);
    cr_assert(tl_running_restart(g, (pid_t)syscall(SYS_gettid)));
    cr_expect(g[REG_RAX] == SYS_poll && g[REG_RIP] == (greg_t)(uintptr_t)(p + 98));
    after_syscall(g, p, 100, SYS_poll);
    g[REG_RAX] = -EAGAIN; /* not cut short */
    cr_expect(!tl_running_restart(g, (pid_t)syscall(SYS_gettid)));
    cr_expect(g[REG_RIP] == (greg_t)(uintptr_t)(p + 100));
    munmap(p, 8192);
}

/* close() gives its descriptor back before a flush (NFS, FUSE) that a
 * signal interrupts, and the kernel turns that into EINTR because the call
 * cannot be made again: another thread may already have the number. */
Test(restart, close_is_never_made_again)
{
    unsigned char *p = code_pages();
    greg_t g[NGREG];
    after_syscall(g, p, 100, SYS_close);
    cr_expect(!tl_running_restart(g, (pid_t)syscall(SYS_gettid)), "close() made twice");
    cr_expect(g[REG_RAX] == -EINTR && g[REG_RIP] == (greg_t)(uintptr_t)(p + 100));
    munmap(p, 8192);
    /* nor by syscall()'s pass-through, which asks the same */
    cr_expect(!tl_syscall_restartable(SYS_close) && tl_syscall_restartable(SYS_poll));
}

/* rax == -EINTR after an instruction that is no system call, in code the
 * handler cannot read (execute-only under protection keys, unmapped by
 * another thread meanwhile): nothing is restarted, and nothing faults. */
Test(restart, unreadable_code_is_left_alone)
{
    unsigned char *p = code_pages();
    greg_t g[NGREG];
    after_syscall(g, p, 4096 + 100, SYS_poll);
    cr_assert(mprotect(p + 4096, 4096, PROT_NONE) == 0);
    cr_expect(!tl_running_restart(g, (pid_t)syscall(SYS_gettid)));
    cr_assert(mprotect(p + 4096, 4096, PROT_READ | PROT_WRITE) == 0);
    /* the instruction pair across a page boundary is read whole */
    after_syscall(g, p, 4096 + 3, SYS_poll);
    cr_expect(tl_running_restart(g, (pid_t)syscall(SYS_gettid)));
    cr_expect(g[REG_RAX] == SYS_poll);
    munmap(p, 8192);
}
