/* The preload library on programs the way other languages and ABIs block:
 * C11 <threads.h>, C++ std::thread, Rust std, CPython threading, and a C
 * program bound to the old pthread_cond_*@GLIBC_2.2.5 ABI
 * (tests/progs/lang_*). */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "lib/tlt.h"

TestSuite(languages, .fini = tlt_cleanup, .timeout = 30);

Test(languages, c11_threads)
{
    tlt_proc *p = tlt_start("lang_c11", NULL);
    tlt_settle(p); /* its threads reach their waits late on a loaded machine */
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "cond", 6, "c11_cnd_waiter", "spawn_c11_threads");
    tlt_expect_wait_call(p, g, "cnd_wait");
    tlt_expect_object(p, g, tlt_printed(p, "cnd"));
    tlt_expect_frame0(p, g, "spawn_stack", "c11_start"); /* the caller of thrd_create */

    json_t *m = tlt_find_group(p, "blocked", "mutex");
    tlt_expect_group(p, m, "blocked", "mutex", 4);
    tlt_expect_frame0(p, m, "stack", "c11_mtx_waiter");
    tlt_expect_wait_call(p, m, "mtx_lock");
    tlt_expect_object(p, m, tlt_printed(p, "mtx"));
    tlt_expect_on_stack(p, m, "spawn_stack", "spawn_c11_threads");

    json_t *j = tlt_find_group(p, "blocked", "join");
    tlt_expect_group(p, j, "blocked", "join", 2);
    tlt_expect_frame0(p, j, "stack", "c11_joiner");
    tlt_expect_wait_call(p, j, "thrd_join");
    tlt_expect_on_stack(p, j, "spawn_stack", "spawn_c11_threads");

    tlt_expect_by_wait(p, "cond", 6);
    tlt_expect_by_wait(p, "mutex", 4);
    tlt_expect_by_wait(p, "join", 2);
    tlt_expect_count(p, "created", 12);
    tlt_expect_count(p, "live", 13);
    tlt_stop(p);
}

/* Frame #0 of a group whose primitive is called from inside a shared
 * library must be that library's function, named. */
static void expect_frame0_in(tlt_proc *p, json_t *g, const char *module_part)
{
    json_t *f = json_array_get(json_object_get(g, "stack"), 0);
    const char *fn = json_string_value(json_object_get(f, "function"));
    const char *mod = json_string_value(json_object_get(f, "module"));
    tlt_expect(p, fn && mod && strstr(mod, module_part),
               "frame #0 of the %lld-thread group should be a named function of %s, found %s in %s",
               (long long)json_integer_value(json_object_get(g, "count")), module_part,
               fn ? fn : "(unnamed)", mod ? mod : "(no module)");
}

Test(languages, cpp_std_thread)
{
    tlt_proc *p = tlt_start("lang_cpp", NULL);
    tlt_settle(p); /* its threads reach their waits late on a loaded machine */
    tlt_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "cond", 5, NULL, "spawn_cpp_threads");
    tlt_expect_on_stack(p, g, "stack", "cpp_cv_waiter");
    tlt_expect_wait_call(p, g, "pthread_cond_wait");
    tlt_expect_object(p, g, tlt_printed(p, "cv"));
    /* libstdc++'s condition_variable::wait(unique_lock&) tail-calls
     * pthread_cond_wait, so frame #0 is the predicate overload, instantiated
     * in the program, and C++ names are demangled (without parameter
     * lists, which would only repeat the template arguments). */
    const char *f0 = tlt_frame_fn(json_object_get(g, "stack"), 0);
    tlt_expect(p, f0 && !strncmp(f0, "std::condition_variable::wait<", 30),
               "frame #0 of the cond group should be std::condition_variable::wait<...>, "
               "found %s",
               f0 ? f0 : "(unnamed)");

    /* std::future::get: libstdc++ waits with syscall(SYS_futex, ...). */
    json_t *f = tlt_find_group_fn(p, "blocked", "futex", "cpp_future_waiter");
    tlt_expect_group(p, f, "blocked", "futex", 3);
    tlt_expect_on_stack(p, f, "spawn_stack", "spawn_cpp_threads");
    expect_frame0_in(p, f, "libstdc++"); /* __atomic_futex_unsigned_base::_M_futex_wait_until */

    json_t *m = tlt_find_group_fn(p, "blocked", "mutex", "cpp_mutex_waiter");
    tlt_expect_group(p, m, "blocked", "mutex", 2);
    tlt_expect_wait_call(p, m, "pthread_mutex_lock");
    tlt_expect_on_stack(p, m, "stack", "std::mutex::lock");
    tlt_expect_on_stack(p, m, "spawn_stack", "spawn_cpp_threads");

    tlt_expect_by_wait(p, "cond", 5);
    tlt_expect_by_wait(p, "futex", 3);
    tlt_expect_by_wait(p, "mutex", 2);
    tlt_expect_count(p, "detached", 10);
    tlt_expect_text(p, "\n3 threads \u00b7 blocked in futex ");
    tlt_expect_text(p, "\n2 threads \u00b7 blocked in mutex (pthread_mutex_lock 0x");
    tlt_stop(p);
}

Test(languages, rust_std)
{
    const char *prog = tlt_prog_path("lang_rust");
    if (access(prog, X_OK)) {
        if (!tlt_which("rustc"))
            cr_skip_test("rustc is not installed, so %s was not built", prog);
        cr_assert_fail("%s is missing although rustc is installed: run make %s", prog, prog);
    }
    tlt_proc *p = tlt_start("lang_rust", NULL);
    tlt_settle(p); /* its threads reach their waits late on a loaded machine */
    tlt_dump(p);
    /* Rust's std blocks in syscall(SYS_futex, FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG). */
    json_t *g = tlt_expect_leak(p, "blocked", "futex", 5, NULL, "spawn_rust_threads");
    tlt_expect_on_stack(p, g, "stack", "rust_condvar_waiter");
    /* Rust names are demangled, legacy (_ZN...17h<hash>E) and v0 (_R...)
     * alike: the program's own main, and std's Condvar::wait as frame #0,
     * or #1 under std's own futex_wait frame (Rust 1.63, Debian 12's, does
     * not inline that one). */
    tlt_expect_on_stack(p, g, "spawn_stack", "lang_rust::main");
    json_t *stack = json_object_get(g, "stack");
    const char *f0 = tlt_frame_fn(stack, 0);
    if (f0 && strstr(f0, "::futex_wait") && !strstr(f0, "Condvar"))
        f0 = tlt_frame_fn(stack, 1);
    tlt_expect(p, f0 && strstr(f0, "Condvar") && strstr(f0, "::wait") && f0[0] != '_',
               "the Condvar group's innermost frame should be std's demangled Condvar wait, "
               "found %s",
               f0 ? f0 : "(unnamed)");

    json_t *m = tlt_find_group_fn(p, "blocked", "futex", "rust_mutex_waiter");
    tlt_expect_group(p, m, "blocked", "futex", 3);
    tlt_expect_on_stack(p, m, "spawn_stack", "spawn_rust_threads");

    json_t *c = tlt_find_group_fn(p, "blocked", "futex", "rust_channel_waiter");
    tlt_expect_group(p, c, "blocked", "futex", 2);
    tlt_expect_on_stack(p, c, "spawn_stack", "spawn_rust_threads");

    tlt_expect_by_wait(p, "futex", 10);
    tlt_expect_by_wait(p, "sleep", 1); /* main, in thread::sleep */
    tlt_expect_count(p, "live", 11);
    tlt_stop(p);
}

static const char *python(void)
{
    if (access("/usr/bin/python3", X_OK) == 0)
        return "/usr/bin/python3";
    return tlt_which("python3");
}

/* CPython 3.11 (Debian) builds every threading lock on POSIX semaphores:
 * Event.wait, Lock.acquire and Queue.get all end in sem_wait, called by
 * PyThread_acquire_lock_timed. How many groups the 13 threads form depends
 * on the interpreter's C stacks, so the test checks totals and every
 * group. */
Test(languages, python_threading)
{
    const char *py = python();
    if (!py)
        cr_skip_test("python3 is not installed");
    const char *argv[] = {py, tlt_source_path("tests/progs/lang_python.py"), NULL};
    tlt_proc *p = tlt_start_argv(argv, NULL);
    tlt_settle(p); /* its threads reach their waits late on a loaded machine */
    tlt_dump(p);
    tlt_expect_sorted(p);
    tlt_expect_no_lib_frames(p);
    json_t *g = tlt_largest(p);
    tlt_expect(p, g && json_integer_value(json_object_get(g, "count")) >= 6,
               "the largest group should hold at least the 6 Event waiters");
    tlt_expect_by_wait(p, "sem", 13);
    tlt_expect_by_wait(p, "sleep", 1); /* main, in time.sleep */
    tlt_expect(p, tlt_group_total(p, "blocked", "sem") == 13,
               "the groups blocked in sem should hold 13 threads, they hold %ld",
               tlt_group_total(p, "blocked", "sem"));
    size_t i;
    json_t *grp;
    json_array_foreach(json_object_get(p->json, "groups"), i, grp)
    {
        const char *wait = json_string_value(json_object_get(grp, "wait"));
        if (!wait || strcmp(wait, "sem"))
            continue;
        tlt_expect_frame0(p, grp, "stack", "PyThread_acquire_lock_timed");
        tlt_expect_frame0(p, grp, "spawn_stack", "PyThread_start_new_thread");
    }
    char header[64];
    snprintf(header, sizeof header, "\n%lld threads \u00b7 blocked in sem (sem_wait",
             (long long)json_integer_value(json_object_get(g, "count")));
    tlt_expect_text(p, header);
    tlt_expect_count(p, "live", 14);
    tlt_stop(p);
}

/* Old-ABI callers must reach the old implementation (a crash otherwise),
 * and their waits must still show as cond, on the program's condvar. */
Test(languages, cond_old_abi)
{
    tlt_proc *p = tlt_start("lang_cond_old_abi", NULL);
    tlt_settle(p); /* its threads reach their waits late on a loaded machine */
    tlt_dump(p);
    json_t *g =
        tlt_expect_leak(p, "blocked", "cond", 15, "old_cond_waiter", "spawn_old_cond_waiters");
    tlt_expect_wait_call(p, g, "pthread_cond_wait");
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    tlt_expect_by_wait(p, "cond", 15);
    tlt_expect_count(p, "created", 16);
    tlt_expect_count(p, "joined", 1);
    tlt_expect_alive(p);
    tlt_stop(p);
}
