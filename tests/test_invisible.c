/* What a host program can see of threadleak: its threads, its file
 * descriptors, its sandbox and its network. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <jansson.h>

#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(invisible, .fini = tlt_cleanup, .timeout = 30);

static long lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

/* A daemon that closes every descriptor it did not open itself and reuses
 * the numbers: nothing of threadleak's may land in its files, and dumps and
 * the series keep working. */
Test(invisible, close_all_then_reuse_the_numbers)
{
    char own[512], series[512], env_series[600];
    snprintf(own, sizeof own, "/tmp/tl-daemon-own.%d", (int)getpid());
    snprintf(series, sizeof series, "/tmp/tl-daemon-series.%d", (int)getpid());
    unlink(own);
    unlink(series);
    snprintf(env_series, sizeof env_series, "THREADLEAK_SERIES=%s", series);
    const char *env[] = {env_series, "THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {tlt_prog_path("invisible_daemon_close_all"), own, NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    long before = lines_in(series);
    tlt_dump(p); /* the signal still wakes the sampler: it holds no descriptor */
    tlt_expect_by_wait(p, "sleep", 2);
    usleep(600 * 1000);
    long after = lines_in(series);
    struct stat st;
    tlt_expect(p, stat(own, &st) == 0 && st.st_size == 0,
               "the daemon's own file got %lld bytes from threadleak",
               (long long)(stat(own, &st) == 0 ? st.st_size : -1));
    tlt_expect(p, before > 0 && after >= before + 5,
               "the series should keep growing after the daemon closed it: %ld then %ld lines",
               before, after);
    tlt_stop(p);
    unlink(own);
    unlink(series);
}

/* The sampler thread starts with the program's first thread of its own: a
 * single-threaded program stays single-threaded. */
Test(invisible, single_threaded_stays_single_threaded)
{
    tlt_proc *p = tlt_start("invisible_thread_count", NULL);
    tlt_expect(p, strcmp(tlt_printed(p, "before"), "1") == 0,
               "a program that has started no thread has %s threads under the preload, not 1",
               tlt_printed(p, "before"));
    tlt_expect(p, strcmp(tlt_printed(p, "after"), "3") == 0,
               "after its first thread it should have 3 (main, its thread, the sampler): %s",
               tlt_printed(p, "after"));
    tlt_dump(p); /* the sampler answers once it exists */
    tlt_expect_count(p, "live", 2);
    tlt_stop(p);
}

/* Under 'threadleak run' (a series is asked for) too: no thread of ours
 * before the program's first; one series line says the process is there
 * with its one thread. */
Test(invisible, series_without_a_thread_of_ours)
{
    char series[128], env_series[160];
    snprintf(series, sizeof series, "/tmp/tl-series-start.%d", (int)getpid());
    unlink(series);
    snprintf(env_series, sizeof env_series, "THREADLEAK_SERIES=%s", series);
    const char *env[] = {env_series, NULL};
    tlt_proc *p = tlt_start("invisible_thread_count", env);
    tlt_expect(p, strcmp(tlt_printed(p, "before"), "1") == 0,
               "with THREADLEAK_SERIES the program is still single-threaded: 1 thread, not %s",
               tlt_printed(p, "before"));
    char line[512] = "";
    FILE *f = fopen(series, "r");
    if (f && !fgets(line, sizeof line, f))
        line[0] = 0;
    if (f)
        fclose(f);
    const char *t = strstr(line, "\"t_ms\":");
    tlt_expect(p, t && atol(t + 7) < 1000 && strstr(line, "\"live\":1,"),
               "the first series line should say 1 live thread at the start: %s", line);
    tlt_stop(p);
    unlink(series);
}

/* select() with a one-word fd set at the end of a mapping, interrupted by
 * the dump signal: the wrapper copies and restores only the words the call
 * may touch, so the program neither faults nor sees EINTR. */
Test(invisible, select_with_a_one_word_fd_set)
{
    tlt_proc *p = tlt_start("invisible_select_small", NULL);
    tlt_dump(p);
    tlt_expect_by_wait(p, "poll", 1);
    tlt_wait_stdout(p, "select ", 3000);
    tlt_expect_alive(p);
    tlt_expect(p, strstr(p->out, "select 0\n") != NULL,
               "select should time out (0) after the dump, not fail or crash:\n%s", p->out);
    tlt_stop(p);
}

/* A thread cancelled inside threadleak_verify_none, then fork(): the API
 * holds its dump lock with cancellation disabled, so no fork hangs. */
Test(invisible, cancelled_inside_the_api_then_fork)
{
    tlt_proc *p = tlt_start("invisible_api_cancel_fork", NULL);
    tlt_wait_stdout(p, "done\n", 20000);
    tlt_expect(p, strstr(p->out, "done\n") != NULL,
               "every round should fork; the program stopped at:\n%s", p->out);
    tlt_stop(p);
}

/* A dump signal the program was started with ignored stays ignored: the
 * preload does not put a handler there, which the program's own children
 * would inherit as SIG_DFL. */
Test(invisible, an_inherited_sig_ign_is_kept)
{
    tlt_proc *p = tlt_start("invisible_sig_ign", NULL);
    tlt_expect(p, strcmp(tlt_printed(p, "usr1"), "ignored") == 0,
               "SIGUSR1 was ignored at exec; under the preload it is %s", tlt_printed(p, "usr1"));
    tlt_stop(p);
}

/* Runs argv bare and preloaded (with env): both must exit 0 and print the
 * same. The preloaded result is returned for more checks. */
static tlt_result same_bare_and_preloaded(const char *const *argv, const char *const *env)
{
    tlt_result bare = tlt_run_in(argv, env, 0, NULL, 60000);
    tlt_result pre = tlt_run_in(argv, env, 1, NULL, 60000);
    cr_expect(tlt_exited_0(&bare), "%s bare: %s\n%s%s", argv[0], tlt_status(bare.status), bare.out,
              bare.err);
    cr_expect(tlt_exited_0(&pre), "%s preloaded: %s (bare: exit 0)\n%s%s", argv[0],
              tlt_status(pre.status), pre.out, pre.err);
    cr_expect(strcmp(bare.out, pre.out) == 0, "%s printed, bare:\n%s\npreloaded:\n%s", argv[0],
              bare.out, pre.out);
    tlt_result_free(&bare);
    return pre;
}

static int parses_as_json(const char *path)
{
    json_t *j = json_load_file(path, 0, NULL);
    json_decref(j);
    return j != NULL;
}

/* Creating threads through code without unwind information (a JIT's
 * trampoline) after closing every descriptor and opening data files: the
 * creation-stack unwinder needs no descriptor, so the files keep their
 * bytes and offsets (libunwind's local unwinder probed memory through a
 * pipe whose numbers were now the program's files). */
Test(invisible, threads_created_from_jit_code_leave_the_files_alone)
{
    char dir[256], stem[300];
    tlt_tempdir(dir, sizeof dir);
    snprintf(stem, sizeof stem, "%s/data", dir);
    const char *argv[] = {tlt_prog_path("invisible_trampoline_files"), stem, NULL};
    tlt_result pre = same_bare_and_preloaded(argv, NULL);
    cr_expect(tlt_count_lines(pre.out, "file ") == 4 && strstr(pre.out, "\"DDDD\", offset 0\n"),
              "the program should report its four files:\n%s", pre.out);
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

/* /proc/self/fd as the program sees it: before any thread, after a dump
 * made while single-threaded (libdw's files are closed again), with the
 * sampler running, after a dump made on the sampler (in its own table),
 * and the number of the next open(). */
Test(invisible, the_descriptor_table_is_the_programs_own)
{
    char dir[256], stem[300];
    tlt_tempdir(dir, sizeof dir);
    snprintf(stem, sizeof stem, "%s/api", dir);
    const char *argv[] = {tlt_prog_path("invisible_fd_table"), stem, NULL};
    tlt_result pre = same_bare_and_preloaded(argv, NULL);
    cr_expect(tlt_count_files(dir, ".json") == 2 && tlt_count_files(dir, ".txt") == 2,
              "both API dumps should be written (.json and .txt): %d and %d files",
              tlt_count_files(dir, ".json"), tlt_count_files(dir, ".txt"));
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

/* A thread closes every descriptor and reopens its data file in a loop
 * while 300 dumps are asked for through the API (and some by signal),
 * with a series sampled every 10 ms: every dump is written and whole, and
 * the data file holds only the program's bytes. */
Test(invisible, a_close_everything_loop_loses_no_dump)
{
    char dir[256], data[300], stem[300], out[300], series[300], env_out[400], env_series[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(stem, sizeof stem, "%s/api", dir);
    snprintf(out, sizeof out, "%s/signal.%%n", dir);
    snprintf(series, sizeof series, "%s/series", dir);
    snprintf(env_out, sizeof env_out, "THREADLEAK_OUTPUT=%s", out);
    snprintf(env_series, sizeof env_series, "THREADLEAK_SERIES=%s", series);
    const char *env[] = {env_out, env_series, "THREADLEAK_FORMAT=json", "THREADLEAK_INTERVAL_MS=10",
                         NULL};
    const char *argv[] = {tlt_prog_path("invisible_close_loop"), data, "300", stem, NULL};
    tlt_result pre = same_bare_and_preloaded(argv, env);
    cr_expect(strstr(pre.out, "api dumps failed 0\n") && strstr(pre.out, "foreign bytes 0\n"),
              "every dump should be written, none into the program's file:\n%s\n%s", pre.out,
              pre.err);
    int whole = 0;
    for (int i = 0; i < 300; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s.%d.json", stem, i);
        whole += parses_as_json(path);
    }
    cr_expect(whole == 300, "%d of 300 API dumps are on disk and parse", whole);
    cr_expect(tlt_count_files_with(dir, "signal.") >= 1, "no signal dump was written");
    char *lines = tlt_read_file(series, NULL);
    int n = tlt_count_lines(lines, "{\"pid\":");
    cr_expect(n >= 3 && n == tlt_count_lines(lines, ""),
              "the series should have whole lines only, and some: %d of %d", n,
              tlt_count_lines(lines, ""));
    free(lines);
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

/* A sandbox that traps (SECCOMP_RET_TRAP) process_vm_readv, mincore, pipes
 * and unshare and answers SIGSYS itself, installed before the first thread
 * or on every thread after it: dumps go on, without blocked-at stacks and
 * saying why, the program exits 0 as bare, and no thread of the process
 * ever called mincore (Firefox's sandbox reports it). */
static void sandboxed(const char *when)
{
    char dir[256], out[300], env_out[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/dump.%%n", dir);
    snprintf(env_out, sizeof env_out, "THREADLEAK_OUTPUT=%s", out);
    const char *env[] = {env_out, "THREADLEAK_FORMAT=json", NULL};
    const char *argv[] = {tlt_prog_path("invisible_seccomp_trap"), when, NULL};
    tlt_result pre = same_bare_and_preloaded(argv, env);
    cr_expect(strstr(pre.out, "api dumps failed 0\n") && strstr(pre.out, "mincore traps 0\n"), "%s",
              pre.out);
    char pattern[400];
    snprintf(pattern, sizeof pattern, "%s/*.json", dir);
    glob_t g;
    cr_assert(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc >= 20, "too few dumps in %s", dir);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        json_t *j = json_load_file(g.gl_pathv[i], 0, NULL);
        const char *why = json_string_value(json_object_get(j, "stacks_unknown"));
        cr_expect(why && strstr(why, "process_vm_readv"),
                  "%s should say why stacks are missing: %s", g.gl_pathv[i],
                  why ? why : "(no stacks_unknown)");
        json_decref(j);
    }
    globfree(&g);
    cr_expect(tlt_count_lines(pre.err, "threadleak: process_vm_readv fails") == 1,
              "one line on stderr should say it:\n%s", pre.err);
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

Test(invisible, a_seccomp_sandbox_from_the_start_survives_dumps)
{
    sandboxed("early");
}

Test(invisible, a_seccomp_sandbox_on_running_threads_survives_dumps)
{
    sandboxed("late");
}

/* DEBUGINFOD_URLS set (Debian can set it for everyone): symbolizing a dump
 * never connects anywhere; the program's environment keeps the variable. */
Test(invisible, no_network_with_debuginfod_urls)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 16) == 0 &&
              getsockname(s, (struct sockaddr *)&a, &len) == 0);
    char urls[100], dir[256], stem[300];
    snprintf(urls, sizeof urls, "DEBUGINFOD_URLS=http://127.0.0.1:%d/", ntohs(a.sin_port));
    tlt_tempdir(dir, sizeof dir);
    snprintf(stem, sizeof stem, "%s/api", dir);
    const char *env[] = {urls, "DEBUGINFOD_TIMEOUT=2", NULL};
    const char *argv[] = {tlt_prog_path("invisible_fd_table"), stem, NULL};
    tlt_result pre = same_bare_and_preloaded(argv, env);
    cr_expect(tlt_count_files(dir, ".json") == 2, "the dumps should be written");
    int c = accept(s, NULL, NULL);
    cr_expect(c < 0, "the preloaded program connected to DEBUGINFOD_URLS");
    if (c >= 0)
        close(c);
    close(s);
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

/* Starts invisible_stderr_closed (preloaded or bare) with its stderr on a pipe;
 * returns the pipe's read end. */
static pid_t start_on_pipe(const char *mode, int preload, const char *output, int *rd)
{
    int fds[2];
    cr_assert(pipe(fds) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (preload)
            setenv("LD_PRELOAD", tlt_lib_path(), 1);
        if (output)
            setenv("THREADLEAK_OUTPUT", output, 1);
        execl(tlt_prog_path("invisible_stderr_closed"), "invisible_stderr_closed", mode,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *rd = fds[0];
    return pid;
}

/* Reads the pipe until EOF or timeout_ms; returns what was read. */
static char *read_until_eof(int fd, int timeout_ms, int *eof)
{
    static char buf[4096];
    size_t n = 0;
    *eof = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (poll(&pfd, 1, timeout_ms) == 1) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) {
            *eof = r == 0;
            break;
        }
        n += (size_t)r;
    }
    buf[n] = 0;
    return buf;
}

/* A daemon that closes its stderr lets whoever reads the pipe see the end
 * (a CI step, a shell's $(...)): the sampler keeps no copy of it. */
Test(invisible, closing_stderr_ends_the_pipe)
{
    for (int preload = 0; preload <= 1; preload++) {
        int rd, eof;
        pid_t pid = start_on_pipe("close", preload, NULL, &rd);
        const char *got = read_until_eof(rd, 3000, &eof);
        int alive = waitpid(pid, NULL, WNOHANG) == 0;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(rd);
        cr_expect(strstr(got, "ready\n") && eof && alive,
                  "%s: the program closed its stderr, but the pipe %s (got \"%s\")",
                  preload ? "preloaded" : "bare",
                  !eof ? "never ended while it ran" : "ended only at its exit", got);
    }
}

/* What the sampler has to say still reaches the program's stderr. */
Test(invisible, sampler_messages_reach_stderr)
{
    int rd;
    pid_t pid = start_on_pipe("keep", 1, "/proc/no-such-dir/tl-%p", &rd);
    char got[4096] = "";
    struct pollfd pfd = {.fd = rd, .events = POLLIN};
    size_t n = 0;
    int signalled = 0;
    while (n < sizeof got - 1 && poll(&pfd, 1, 3000) == 1) {
        ssize_t r = read(rd, got + n, sizeof got - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        got[n] = 0;
        if (!signalled && strstr(got, "ready\n")) {
            kill(pid, SIGUSR1);
            signalled = 1;
        }
        if (strstr(got, "cannot write dump"))
            break;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(rd);
    cr_expect(strstr(got, "threadleak: cannot write dump") != NULL,
              "the sampler's warning should reach the program's stderr; it printed \"%s\"", got);
}
