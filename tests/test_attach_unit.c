/* Unit tests of the attach pieces, linked with the command's sources: wait
 * kinds from a system call and glibc's frames (which frames are left out,
 * which object is named), /proc/PID/task/TID/syscall lines, the reader and
 * the writers on a dump that says source "ptrace", refusals, lock owners
 * decoded from glibc's lock words. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "common/lock_word.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define PROG "/srv/orders"

static tl_frame fr(const char *fn, const char *module)
{
    return (tl_frame){.ip = 0x1000, .function = fn, .module = module};
}

Test(attach_wait, cond_wait_is_cond_on_the_condvar)
{
    tl_frame f[] = {fr("__futex_abstimed_wait_common", LIBC),
                    fr("__pthread_cond_wait_common", LIBC), fr("___pthread_cond_wait", LIBC),
                    fr("chan_send", PROG), fr("main", PROG)};
    uint64_t args[6] = {0x5581a2c0 + 44, 0x189};
    tl_wait_guess w;
    tl_wait_classify(SYS_futex, args, f, 5, &w);
    cr_expect_eq(w.state, TL_BLOCKED);
    cr_expect_eq(w.wait, TL_WAIT_COND);
    cr_expect_str_eq(w.wait_call, "pthread_cond_wait");
    cr_expect_eq(w.object, 0x5581a2c0);
    cr_expect_eq(w.skip, 3, "frame #0 must be the caller of pthread_cond_wait");
}

Test(attach_wait, robust_mutex_lock_is_a_mutex_wait)
{
    tl_frame f[] = {fr("__futex_abstimed_wait_common64", LIBC),
                    fr("__pthread_mutex_lock_full", LIBC), fr("worker", PROG)};
    uint64_t args[6] = {0x5581a2c0, 0x80};
    tl_wait_guess w;
    tl_wait_classify(SYS_futex, args, f, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_MUTEX);
    cr_expect_str_eq(w.wait_call, "pthread_mutex_lock");
    cr_expect_eq(w.object, 0x5581a2c0);
    cr_expect_eq(w.skip, 2);
}

/* The bytes of locks this thread holds, decoded as the attach path decodes
 * a traced process's. */
Test(lock_word, owners_of_mutexes_and_rwlocks)
{
    pid_t me = (pid_t)syscall(SYS_gettid);
    struct tl_lock_owner o;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    tl_lock_word_owner(&m, 0, &o);
    cr_expect(o.tid == 0 && o.flags == 0, "a free mutex has an owner");
    pthread_mutex_lock(&m);
    tl_lock_word_owner(&m, 0, &o);
    cr_expect(o.tid == me && o.flags == 0 && !o.pshared);
    pthread_mutex_unlock(&m);

    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t r;
    pthread_mutex_init(&r, &a);
    pthread_mutex_lock(&r);
    tl_lock_word_owner(&r, 0, &o);
    cr_expect(o.tid == me, "robust: the owner tid is in __lock");
    cr_expect(o.flags & TL_OWNER_NO_SELF_WAIT, "error-checking: relocking is no wait");
    cr_expect(!(o.flags & TL_OWNER_DIED));
    pthread_mutex_unlock(&r);

    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    pthread_rwlock_wrlock(&l);
    tl_lock_word_owner(&l, 1, &o);
    cr_expect(o.tid == me && (o.flags & TL_OWNER_NO_SELF_WAIT));
    pthread_rwlock_unlock(&l);
    pthread_rwlock_rdlock(&l);
    pthread_rwlock_rdlock(&l);
    tl_lock_word_owner(&l, 1, &o);
    cr_expect(o.tid == 0 && (o.flags & TL_OWNER_READERS) && o.readers == 2);

    tl_lock_word_owner(NULL, 0, &o);
    cr_expect(o.flags == TL_OWNER_UNKNOWN && o.tid == 0);
    tl_lock_word_owner(NULL, 1, &o);
    cr_expect(o.flags == TL_OWNER_UNKNOWN);
}

Test(attach_wait, mutex_and_sem_and_join)
{
    tl_wait_guess w;
    uint64_t args[6] = {0x7000};
    tl_frame m[] = {fr("__lll_lock_wait", LIBC), fr("___pthread_mutex_lock", LIBC),
                    fr("worker", PROG)};
    tl_wait_classify(SYS_futex, args, m, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_MUTEX);
    cr_expect_str_eq(w.wait_call, "pthread_mutex_lock");
    cr_expect_eq(w.object, 0x7000);
    cr_expect_eq(w.skip, 2);
    /* sem_wait tail-calls its slow path: only that is on the stack. */
    tl_frame s[] = {fr("__futex_abstimed_wait_common", LIBC),
                    fr("__new_sem_wait_slow64.constprop.0", LIBC), fr("worker", PROG)};
    tl_wait_classify(SYS_futex, args, s, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_SEM);
    cr_expect_str_eq(w.wait_call, "sem_wait");
    tl_frame j[] = {fr("__futex_abstimed_wait_common", LIBC), fr("__pthread_clockjoin_ex", LIBC),
                    fr("worker", PROG)};
    tl_wait_classify(SYS_futex, args, j, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_JOIN);
    cr_expect_str_eq(w.wait_call, "pthread_join");
    cr_expect_eq(w.futex, 0x7000);
}

Test(attach_wait, raw_futex_is_futex)
{
    tl_frame f[] = {fr("syscall", LIBC),
                    fr("std::__atomic_futex_unsigned_base::_M_futex_wait_until", "libstdc++.so.6"),
                    fr("main", PROG)};
    uint64_t args[6] = {0x9000};
    tl_wait_guess w;
    tl_wait_classify(SYS_futex, args, f, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_FUTEX);
    cr_expect_str_eq(w.wait_call, "futex");
    cr_expect_eq(w.object, 0x9000);
    cr_expect_eq(w.skip, 1);
}

Test(attach_wait, io_poll_sleep_from_the_system_call)
{
    tl_wait_guess w;
    uint64_t args[6] = {7};
    tl_frame r[] = {fr("__libc_read", LIBC), fr("reader", PROG)};
    tl_wait_classify(SYS_read, args, r, 2, &w);
    cr_expect_eq(w.wait, TL_WAIT_IO);
    cr_expect_str_eq(w.wait_call, "read");
    cr_expect_eq(w.object, 7);
    cr_expect_eq(w.skip, 1);
    tl_frame e[] = {fr("epoll_wait", LIBC), fr("loop", PROG)};
    tl_wait_classify(SYS_epoll_wait, args, e, 2, &w);
    cr_expect_eq(w.wait, TL_WAIT_POLL);
    cr_expect_eq(w.object, 7);
    /* sleep() over nanosleep() over clock_nanosleep(): what the program called. */
    tl_frame z[] = {fr("__GI___clock_nanosleep", LIBC), fr("__nanosleep", LIBC),
                    fr("__sleep", LIBC), fr("napper", PROG)};
    tl_wait_classify(SYS_clock_nanosleep, args, z, 4, &w);
    cr_expect_eq(w.wait, TL_WAIT_SLEEP);
    cr_expect_str_eq(w.wait_call, "sleep");
    cr_expect_eq(w.skip, 3);
    tl_frame c[] = {fr("__waitpid", LIBC), fr("do_system", LIBC), fr("run_child", PROG)};
    uint64_t pid[6] = {4321};
    tl_wait_classify(SYS_wait4, pid, c, 3, &w);
    cr_expect_eq(w.wait, TL_WAIT_CHILD);
    cr_expect_eq(w.object, 4321);
}

Test(attach_wait, running_and_unknown_and_all_libc)
{
    tl_wait_guess w;
    uint64_t args[6] = {0};
    tl_frame f[] = {fr("spin", PROG), fr("main", PROG)};
    tl_wait_classify(-1, args, f, 2, &w);
    cr_expect_eq(w.state, TL_RUNNING);
    cr_expect_eq(w.skip, 0);
    tl_frame l[] = {fr("flock", LIBC), fr("locker", PROG)};
    tl_wait_classify(SYS_flock, args, l, 2, &w);
    cr_expect_eq(w.state, TL_BLOCKED);
    cr_expect_eq(w.wait, TL_WAIT_NONE);
    cr_expect_str_eq(w.wait_call, "flock");
    /* A stack all inside libc keeps its frames. */
    tl_frame a[] = {fr("__lll_lock_wait_private", LIBC), fr("_IO_flush_all", LIBC)};
    tl_wait_classify(SYS_futex, args, a, 2, &w);
    cr_expect_eq(w.skip, 0);
    cr_expect_eq(w.wait, TL_WAIT_FUTEX);
}

Test(attach_wait, proc_syscall_lines)
{
    long nr;
    uint64_t args[6], sp, pc;
    cr_assert_eq(tl_parse_proc_syscall("202 0x55d0c0a010c0 0x80 0x2 0x0 0x0 0x0 0x7ffd1000 "
                                       "0x7f1200aa\n",
                                       &nr, args, &sp, &pc),
                 0);
    cr_expect_eq(nr, 202);
    cr_expect_eq(args[0], 0x55d0c0a010c0);
    cr_expect_eq(args[2], 2);
    cr_expect_eq(sp, 0x7ffd1000);
    cr_expect_eq(pc, 0x7f1200aa);
    cr_assert_eq(tl_parse_proc_syscall("running\n", &nr, args, &sp, &pc), 0);
    cr_expect_eq(nr, -1);
    cr_assert_eq(tl_parse_proc_syscall("-1 0x7ffc 0x7f00\n", &nr, args, &sp, &pc), 0);
    cr_expect_eq(nr, -1);
    cr_expect_eq(pc, 0x7f00);
    cr_expect_neq(tl_parse_proc_syscall("garbage", &nr, args, &sp, &pc), 0);
    cr_expect_str_eq(tl_syscall_name(SYS_futex), "futex");
    cr_expect_str_eq(tl_syscall_name(100000), "syscall 100000");
}

Test(attach_explain, gone_process)
{
    char msg[1024];
    tl_attach_explain(4194000, ESRCH, msg, sizeof msg);
    cr_expect(strstr(msg, "exited"), "%s", msg);
}

/* A ptrace dump read back and written again: nothing unknown becomes a
 * number, and the text says where it came from. */
static const char ptrace_dump[] =
    "{\"format\":\"threadleak-dump\",\"version\":1,\"pid\":77,\"program\":\"./srv\",\"dump\":1,"
    "\"reason\":\"request\",\"time_unix_ns\":1,\"source\":\"ptrace\","
    "\"pause\":{\"threads\":1000,\"ns\":12000000,\"late\":0},"
    "\"counts\":{\"live\":1001,\"running\":0,\"blocked\":1001,\"exited_unjoined\":null,"
    "\"created\":null,\"joined\":null,\"detached\":null,\"by_wait\":{\"cond\":1000,\"sleep\":1}},"
    "\"groups\":[{\"count\":1000,\"state\":\"blocked\",\"wait\":\"cond\",\"wait_call\":"
    "\"pthread_cond_wait\",\"object\":\"0x10\",\"objects\":1,\"blocked_ns\":null,\"stack\":[{"
    "\"ip\":\"0x1\",\"function\":\"parked\",\"offset\":1,\"module\":\"srv\",\"file\":null,"
    "\"line\":null}],\"spawn_stack\":null,\"creator_tids\":null,\"creator_name\":null,\"tids\":[78]"
    "},"
    "{\"count\":1,\"state\":\"blocked\",\"wait\":\"sleep\",\"wait_call\":\"pause\",\"object\":null,"
    "\"objects\":1,\"blocked_ns\":null,\"stack\":[{\"ip\":\"0x2\",\"function\":\"main\",\"offset\":"
    "1,\"module\":\"srv\",\"file\":null,\"line\":null}],\"spawn_stack\":[],\"creator_tids\":[],"
    "\"creator_name\":null,\"tids\":[77]}]}";

Test(attach_dump, reads_and_writes_a_ptrace_dump)
{
    char err[512];
    tl_dump_file *f = tl_dump_parse(ptrace_dump, strlen(ptrace_dump), err, sizeof err);
    cr_assert(f, "%s", err);
    tl_dump *d = tl_dump_of(f);
    cr_expect_str_eq(d->source, "ptrace");
    cr_expect_eq(d->paused_threads, 1000);
    cr_expect(d->counts.unknown & TL_UNKNOWN_LIFECYCLE);
    cr_expect(d->groups[0].unknown & TL_UNKNOWN_SPAWN);
    cr_expect(d->groups[0].unknown & TL_UNKNOWN_BLOCKED_NS);
    char *text = NULL, *json = NULL;
    size_t n;
    FILE *out = open_memstream(&text, &n);
    tl_write_text(out, d);
    fclose(out);
    cr_expect(strstr(text, "attached with ptrace"), "%s", text);
    cr_expect(strstr(text, "paused 1,000 threads for 12 ms"), "%s", text);
    cr_expect(strstr(text, "1000 threads \u00b7 blocked in cond (pthread_cond_wait 0x10)\n"),
              "a wait duration was made up:\n%s", text);
    cr_expect(strstr(text, "created by: not known"), "%s", text);
    cr_expect(strstr(text, "  main thread\n"), "%s", text);
    cr_expect(!strstr(text, " joined"), "lifecycle counts made up:\n%s", text);
    out = open_memstream(&json, &n);
    tl_write_json(out, d);
    fclose(out);
    cr_expect(strstr(json, "\"created\":null"), "%s", json);
    cr_expect(strstr(json, "\"spawn_stack\":null"), "%s", json);
    cr_expect(strstr(json, "\"blocked_ns\":null"), "%s", json);
    cr_expect(strstr(json, "\"source\":\"ptrace\""), "%s", json);
    tl_dump_file_free(f);
    free(text);
    free(json);
}

Test(attach_dump, a_preload_dump_says_so)
{
    tl_dump d = {.pid = 1, .n_threads = -1};
    char *json = NULL;
    size_t n;
    FILE *out = open_memstream(&json, &n);
    tl_write_json(out, &d);
    fclose(out);
    cr_expect(strstr(json, "\"source\":\"preload\""), "%s", json);
    cr_expect(!strstr(json, "\"pause\""), "%s", json);
    cr_expect(strstr(json, "\"created\":0"), "%s", json);
    free(json);
}
