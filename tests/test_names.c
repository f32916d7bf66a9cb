/* Names in dumps: thread names kept current and shown per group, creators
 * named after they exited, exited-unjoined groups listing their threads,
 * child-process waits, descriptors in decimal with what they are, long
 * function names shortened at a boundary in text and whole in JSON. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <jansson.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"
#include "lib/run.h"

TestSuite(names, .fini = tlt_cleanup, .timeout = 30);

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

Test(names, group_names_and_patterns)
{
    tlt_proc *p = tlt_start("names_threads", NULL);
    tlt_dump(p);
    json_t *pool = tlt_find_group_fn(p, "blocked", "cond", "pool_worker");
    tlt_expect_group(p, pool, "blocked", "cond", 4);
    tlt_expect(p, pool && str(pool, "name") && strcmp(str(pool, "name"), "pool-3-thread-*") == 0,
               "the pool group's name should be the pattern pool-3-thread-*");
    json_t *names = json_object_get(pool, "thread_names");
    tlt_expect(p, json_array_size(names) == 4, "the pool group should list 4 thread names");
    for (size_t i = 0; i < json_array_size(names); i++) {
        char want[48];
        snprintf(want, sizeof want, "pool-3-thread-%d", (int)i + 1);
        int found = 0;
        for (size_t j = 0; j < json_array_size(names); j++)
            found |= strcmp(json_string_value(json_array_get(names, j)), want) == 0;
        tlt_expect(p, found, "thread_names should have %s", want);
    }
    tlt_expect_text(p, "4 threads \u00b7 blocked in cond (pthread_cond_wait 0x");
    tlt_expect_text(p, "\n  name pool-3-thread-*\n    #0  pool_worker");
    /* prctl(PR_SET_NAME) */
    json_t *io = tlt_find_group_fn(p, "blocked", "io", "prctl_reader");
    tlt_expect(p, io && str(io, "name") && strcmp(str(io, "name"), "io-reader") == 0,
               "the prctl-named group should be io-reader");
    tlt_expect_text(p, "\n  name io-reader\n");
    /* Threads that were never named show no name line (the program's own name). */
    json_t *main_g = tlt_find_main_group(p);
    tlt_expect(p, main_g && !json_object_get(main_g, "name"), "the main thread has no group name");
    tlt_stop(p);
}

Test(names, creator_named_after_it_exited)
{
    tlt_proc *p = tlt_start("names_threads", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "sleep", "sleeper");
    tlt_expect_group(p, g, "blocked", "sleep", 3);
    tlt_expect(p, g && str(g, "creator_name") && strcmp(str(g, "creator_name"), "spawner") == 0,
               "the sleepers' creator (exited) should be named spawner");
    tlt_expect_on_stack(p, g, "spawn_stack", "spawner");
    char want[96];
    snprintf(want, sizeof want, "  created by thread %lld (spawner) at\n",
             (long long)json_integer_value(json_array_get(json_object_get(g, "creator_tids"), 0)));
    tlt_expect_text(p, want);
    tlt_stop(p);
}

Test(names, exited_group_lists_threads)
{
    tlt_proc *p = tlt_start("names_threads", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group(p, "exited", NULL);
    tlt_expect_group(p, g, "exited", NULL, 2);
    json_t *tids = json_object_get(g, "tids");
    char want[128];
    snprintf(want, sizeof want, "exited, never joined or detached\n  name gone-*\n  threads %lld (",
             (long long)json_integer_value(json_array_get(tids, 0)));
    tlt_expect_text(p, want);
    snprintf(want, sizeof want, ", %lld (gone-",
             (long long)json_integer_value(json_array_get(tids, 1)));
    tlt_expect_text(p, want);
    /* what they ran: the start routine, as for running threads */
    tlt_expect_frame0(p, g, "stack", "gone");
    tlt_stop(p);
}

Test(names, threads_detail_lists_tids_and_names)
{
    const char *env[] = {"THREADLEAK_DETAIL=threads", NULL};
    tlt_proc *p = tlt_start("names_threads", env);
    tlt_dump(p);
    tlt_expect_text(p, "\n  name pool-3-thread-*\n  threads ");
    tlt_expect_text(p, " (pool-3-thread-1)");
    tlt_expect_text(p, " (pool-3-thread-4)");
    json_t *threads = json_object_get(p->json, "threads");
    int named = 0;
    for (size_t i = 0; i < json_array_size(threads); i++) {
        json_t *t = json_array_get(threads, i);
        if (str(t, "creator_name") && strcmp(str(t, "creator_name"), "spawner") == 0)
            named++;
    }
    tlt_expect(p, named == 3, "3 threads should have creator_name spawner, found %d", named);
    tlt_stop(p);
}

Test(names, child_wait_kind)
{
    tlt_proc *p = tlt_start("names_threads", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group(p, "blocked", "child");
    tlt_expect_group(p, g, "blocked", "child", 1);
    tlt_expect_frame0(p, g, "stack", "child_waiter");
    tlt_expect_wait_call(p, g, "waitpid");
    long child = atol(tlt_printed(p, "child"));
    tlt_expect(p, json_integer_value(json_object_get(g, "child")) == child,
               "the group's child should be %ld", child);
    tlt_expect_by_wait(p, "child", 1);
    tlt_expect(p, g && str(g, "name") && strcmp(str(g, "name"), "reaper") == 0,
               "the child waiter, named by main, should be reaper");
    char want[96];
    snprintf(want, sizeof want, "1 thread \u00b7 blocked in child (waitpid pid %ld) for ", child);
    tlt_expect_text(p, want);
    tlt_stop(p);
}

Test(names, descriptor_in_decimal_with_target)
{
    tlt_proc *p = tlt_start("names_threads", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "io", "prctl_reader");
    tlt_expect_group(p, g, "blocked", "io", 2);
    long fd = atol(tlt_printed(p, "pipe_fd"));
    char hex[32];
    snprintf(hex, sizeof hex, "0x%lx", fd);
    tlt_expect_object(p, g, hex); /* "object" stays what it was */
    tlt_expect(p, json_integer_value(json_object_get(g, "fd")) == fd, "fd should be %ld", fd);
    const char *target = str(g, "fd_target");
    tlt_expect(p, target && strncmp(target, "pipe:[", 6) == 0, "fd_target should be pipe:[...]");
    char want[96];
    snprintf(want, sizeof want, "blocked in io (read fd %ld (pipe:[", fd);
    tlt_expect_text(p, want);
    /* A socket: its protocol and address, as ss says them. */
    json_t *a = tlt_find_group_fn(p, "blocked", "io", "acceptor");
    tlt_expect_group(p, a, "blocked", "io", 1);
    char listening[96];
    snprintf(listening, sizeof listening, " tcp 127.0.0.1:%s listening", tlt_printed(p, "port"));
    target = str(a, "fd_target");
    tlt_expect(p, target && strncmp(target, "socket:[", 8) == 0 && strstr(target, listening),
               "the acceptor's fd_target should be socket:[...]%s", listening);
    tlt_expect_text(p, listening);
    json_t *r = tlt_find_group_fn(p, "blocked", "io", "conn_reader");
    char connected[96];
    snprintf(connected, sizeof connected,
             " tcp 127.0.0.1:%s -> 127.0.0.1:", tlt_printed(p, "port"));
    target = str(r, "fd_target");
    tlt_expect(p, target && strstr(target, connected),
               "the reader's fd_target should name the connection%s...", connected);
    tlt_stop(p);
}

/* ---- symbols of code that moved or went ---- */

TestSuite(symbols, .fini = tlt_cleanup, .timeout = 30);

/* The group with a frame named fn on its blocked stack, any state. */
static json_t *group_with(tlt_proc *p, const char *fn)
{
    json_t *groups = json_object_get(p->json, "groups");
    for (size_t i = 0; i < json_array_size(groups); i++)
        if (tlt_stack_has(json_object_get(json_array_get(groups, i), "stack"), fn))
            return json_array_get(groups, i);
    return NULL;
}

Test(symbols, dlclosed_module_keeps_names_and_reused_address_is_renamed)
{
    tlt_proc *p = tlt_start("names_plugins", NULL);
    tlt_expect(p, strcmp(tlt_printed(p, "same_address"), "1") == 0,
               "lib_b.so was not loaded at lib_a.so's old address: this test proves nothing");
    /* Dump 1, written by the program while lib_a.so was loaded. */
    tlt_wait_dump(p, 1, "api");
    tlt_expect(p, group_with(p, "a_blocks_here") != NULL, "dump 1: a thread in a_blocks_here");
    p->dumps = 1;
    tlt_dump(p);
    json_t *b = group_with(p, "b_blocks_here");
    tlt_expect(p, b != NULL, "a thread blocked in lib_b.so must be named b_blocks_here");
    tlt_expect(p, group_with(p, "a_blocks_here") == NULL, "nothing is in a_blocks_here any more");
    tlt_expect_frame0(p, b, "stack", "b_blocks_here");
    /* Created by lib_a.so's a_spawn, which is gone. */
    json_t *w = group_with(p, "host_worker");
    tlt_expect_frame0(p, w, "spawn_stack", "a_spawn");
    json_t *f = json_array_get(json_object_get(w, "spawn_stack"), 0);
    const char *module = json_string_value(json_object_get(f, "module"));
    tlt_expect(p, module && strstr(module, "lib_a.so"), "a_spawn's module should be lib_a.so");
    tlt_expect_text(p, "    #0  b_blocks_here ");
    tlt_expect_text(p, "    #0  a_spawn ");
    tlt_stop(p);
}

Test(symbols, main_thread_exited)
{
    tlt_proc *p = tlt_start("names_main_exit", NULL);
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "cond", 3, "orphan_waiter", "main");
    (void)g;
    tlt_expect_count(p, "live", 3);
    tlt_expect(p, tlt_find_main_group(p) == NULL, "the exited main thread must not be shown");
    tlt_expect_no_lib_frames(p);
    tlt_stop(p);
}

static void unlink_perf_map(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)pid);
    unlink(path);
}

/* A JIT that writes a perf map as it compiles: node --perf-basic-prof. */
Test(symbols, node_perf_map)
{
    const char *node = tlt_need("node", "scripts/install-deps.sh installs nodejs");
    /* interpreted functions too get code of their own, in anonymous memory */
    /* (and V8's own log to a temporary file, not isolate-*.log in our directory) */
    const char *argv[] = {
        node,          "--perf-basic-prof",        "--interpreted-frames-native-stack",
        "--logfile=+", "--no-logfile-per-isolate", tlt_source_path("tests/progs/names_jit.js"),
        NULL};
    /* node owns SIGUSR1 (its inspector): the dump signal is USR2 here */
    const char *env[] = {"THREADLEAK_SIGNAL=USR2", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    pid_t pid = p->pid;
    kill(pid, SIGUSR2);
    tlt_wait_dump(p, 1, "signal");
    unlink_perf_map(pid);
    char map[64];
    snprintf(map, sizeof map, "/tmp/perf-%d.map", (int)pid);
    int named = 0;
    json_t *groups = json_object_get(p->json, "groups");
    for (size_t g = 0; g < json_array_size(groups); g++) {
        json_t *stack = json_object_get(json_array_get(groups, g), "stack");
        for (size_t i = 0; i < json_array_size(stack); i++) {
            json_t *f = json_array_get(stack, i);
            const char *fn = json_string_value(json_object_get(f, "function"));
            const char *module = json_string_value(json_object_get(f, "module"));
            if (fn && strstr(fn, "blockHereInJs") && module && strcmp(module, map) == 0)
                named++;
        }
    }
    tlt_expect(p, named == 1, "a stack should have blockHereInJs from %s", map);
    tlt_expect_text(p, "blockHereInJs");
    tlt_stop(p);
}

Test(symbols, jit_frames_from_perf_map)
{
    tlt_proc *p = tlt_start("names_jit", NULL);
    pid_t pid = p->pid;
    tlt_dump(p);
    unlink_perf_map(pid); /* read by now; not left behind if an expectation fails */
    json_t *listed = group_with(p, "jit_trampoline_fn");
    tlt_expect(p, listed != NULL, "the listed JIT frame should be named jit_trampoline_fn");
    json_t *f = json_array_get(json_object_get(listed, "stack"), 1);
    const char *module = json_string_value(json_object_get(f, "module"));
    char want[64];
    snprintf(want, sizeof want, "/tmp/perf-%d.map", (int)pid);
    tlt_expect(p, module && strcmp(module, want) == 0, "its module should be %s", want);
    tlt_expect_on_stack(p, listed, "stack", "jit_thread"); /* unwound through it */
    /* The unlisted one: unnamed, in anonymous memory, never the program's. */
    json_t *groups = json_object_get(p->json, "groups");
    int unnamed = 0;
    const char *unlisted = tlt_printed(p, "unlisted");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        json_t *st = json_object_get(json_array_get(groups, i), "stack");
        for (size_t k = 0; k < json_array_size(st); k++) {
            json_t *fr = json_array_get(st, k);
            unsigned long long ip =
                                   strtoull(json_string_value(json_object_get(fr, "ip")), NULL, 16),
                               page = strtoull(unlisted, NULL, 16);
            if (ip < page || ip >= page + 4096)
                continue;
            unnamed++;
            tlt_expect(p, json_is_null(json_object_get(fr, "function")),
                       "a frame in unlisted JIT code must not be named");
            const char *m = json_string_value(json_object_get(fr, "module"));
            tlt_expect(p, m && strcmp(m, "[anon]") == 0, "its module should be [anon], not %s",
                       m ? m : "null");
        }
    }
    tlt_expect(p, unnamed == 1, "one frame in the unlisted JIT page, found %d", unnamed);
    tlt_expect_text(p, "    #1  jit_trampoline_fn ");
    tlt_stop(p);
}

/* ---- long names in text, whole in JSON ---- */

TestSuite(long_names, .timeout = 30);

/* The column (in code points) where `needle` starts on the line holding it. */
static int column_at(const char *text, const char *at)
{
    if (!at)
        return -1;
    const char *line = at;
    while (line > text && line[-1] != '\n')
        line--;
    int col = 0;
    for (const char *c = line; c < at; c++)
        col += ((unsigned char)*c & 0xc0) != 0x80;
    return col;
}

static int column_of(const char *text, const char *needle)
{
    return column_at(text, strstr(text, needle));
}

Test(long_names, shortened_at_boundaries_columns_kept)
{
    cli_result *r = cli_new();
    const char *a[] = {cli_threadleak(), "report", tlt_source_path("tests/data/names_long.json"),
                       NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_assert_eq(r->status, 0, "%s", r->err);
    /* Parameter lists and template arguments collapse first, then leading
     * namespaces; a single long identifier is cut after a word. */
    cr_expect(strstr(r->out, "    #1  node::worker::Worker::StartThread(\u2026) "), "%s", r->out);
    cr_expect(strstr(r->out, "    #2  \u2026::spawn_unchecked_<\u2026>::{{closure}}::{{closure}} "),
              "%s", r->out);
    cr_expect(strstr(r->out, "    #3  a_function_with_an_extremely_long_name_that_\u2026 "), "%s",
              r->out);
    /* Every frame's file:line and module start in the same columns. */
    int where = column_of(r->out, "thread.c:822");
    cr_expect(where > 0 && column_of(r->out, "node_worker.cc:640") == where &&
                  column_of(r->out, "node_main.cc:97") == where,
              "file:line columns differ:\n%s", r->out);
    int module = column_of(r->out, "libuv.so.1");
    cr_expect(module > where, "%s", r->out);
    const char *lines[] = {"StartThread(\u2026)", "{{closure}}::{{closure}}", "name_that_\u2026"};
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(r->out, lines[i]);
        const char *node = at ? strstr(at, "node\n") : NULL;
        cr_expect(node && column_at(r->out, node) == module, "module column differs:\n%s", r->out);
    }
    cr_expect(strstr(r->out, "  name WorkerThread-*\n"), "%s", r->out);

    /* JSON keeps them whole. */
    const char *j[] = {cli_threadleak(),
                       "report",
                       "--format",
                       "json",
                       tlt_source_path("tests/data/names_long.json"),
                       NULL};
    cli_exec(r, NULL, 0, j, NULL);
    cr_expect(strstr(r->out, "\"node::worker::Worker::StartThread(v8::FunctionCallbackInfo<v8::"
                             "Value> const&)\""),
              "%s", r->out);
    cr_expect(strstr(r->out, "\"a_function_with_an_extremely_long_name_that_goes_on_and_on_"
                             "forever\""),
              "%s", r->out);
    cr_expect(strstr(r->out, "\"name\":\"WorkerThread-*\""), "%s", r->out);
    cli_free(r);
}

/* ---- waiting for children ---- */

Test(names, every_child_wait_call)
{
    tlt_proc *p = tlt_start("names_child_calls", NULL);
    tlt_dump(p);
    tlt_expect_by_wait(p, "child", 5);
    const char *calls[] = {"wait", "waitpid", "wait3", "wait4", "waitid"};
    json_t *groups = json_object_get(p->json, "groups");
    for (int c = 0; c < 5; c++) {
        int found = 0;
        for (size_t i = 0; i < json_array_size(groups); i++) {
            json_t *g = json_array_get(groups, i);
            const char *wait = str(g, "wait"), *call = str(g, "wait_call");
            found |= wait && call && strcmp(wait, "child") == 0 && strcmp(call, calls[c]) == 0;
        }
        tlt_expect(p, found, "no group blocked in child (%s)", calls[c]);
    }
    tlt_expect_text(p, "blocked in child (wait any child)");
    /* The program signals itself 20 times during the waits: none may fail
     * or come back early, each returns its child's pid and status. */
    const char *err = "";
    for (int i = 0; i < 300 && !strstr(err, "done\n"); i++) {
        usleep(50000);
        err = tlt_stderr(p);
    }
    tlt_expect(p, strstr(err, "done\n") != NULL, "the program did not finish:\n%s", err);
    for (int c = 0; c < 5; c++) {
        char want[32];
        snprintf(want, sizeof want, "%s ok (", calls[c]);
        tlt_expect(p, strstr(err, want) != NULL, "%s did not return its child:\n%s", calls[c], err);
    }
    tlt_stop(p);
}

/* prctl, the child waits and dlclose return what they return bare: values,
 * errno, statuses, and whether a module is still loaded. */
Test(names, same_results_bare_and_preloaded)
{
    const char *argv[] = {tlt_prog_path("names_same"), NULL};
    tlt_result bare = tlt_run_in(argv, NULL, 0, NULL, 20000);
    tlt_result pre = tlt_run_in(argv, NULL, 1, NULL, 20000);
    cr_expect(tlt_exited_0(&bare), "bare: %s\n%s%s", tlt_status(bare.status), bare.out, bare.err);
    cr_expect(tlt_exited_0(&pre), "preloaded: %s\n%s%s", tlt_status(pre.status), pre.out, pre.err);
    cr_expect(strstr(bare.out, "unloaded -> 1"), "%s", bare.out);
    cr_expect(strcmp(bare.out, pre.out) == 0, "bare:\n%s\npreloaded:\n%s", bare.out, pre.out);
    cr_expect(strcmp(pre.err, "") == 0, "preloaded stderr:\n%s", pre.err);
    tlt_result_free(&bare);
    tlt_result_free(&pre);
}
