/* Faults around the preload library: where the dump goes is
 * missing, read-only, full, not a directory, or a planted symlink; signal
 * storms; exec from a thread; programs that block every signal or install
 * their own handler for the dump signal; vfork/posix_spawn/system; setuid
 * processes. In every case the program goes on unchanged and exits 0. */
#include <criterion/criterion.h>
#include <grp.h>
#include <string.h>
#include <sys/mount.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "lib/cli_exec.h"
#include "lib/dump_check.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(faults, .fini = tlt_cleanup, .timeout = 120);

static int threadleak_lines(tlt_proc *p)
{
    return tlt_count_lines(tlt_stderr(p), "threadleak: ");
}

/* Waits up to ms for a line starting with prefix on p's stderr. */
static int wait_stderr(tlt_proc *p, const char *prefix, long ms)
{
    for (long end = tlt_now_ms() + ms; tlt_now_ms() < end; tlt_sleep_ms(20))
        if (tlt_count_lines(tlt_stderr(p), prefix) > 0)
            return 1;
    return 0;
}

/* Asks p to end (SIGUSR2), expects exit 0 and "eintr 0". */
static void expect_clean_exit(tlt_proc *p)
{
    tlt_expect_alive(p);
    kill(p->pid, SIGUSR2);
    int st = -1;
    for (long end = tlt_now_ms() + 20000; tlt_now_ms() < end; tlt_sleep_ms(5))
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            p->status = st;
            break;
        }
    tlt_expect(p, p->pid == 0, "%s did not exit after SIGUSR2", p->name);
    tlt_expect(p, WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %s", p->name, tlt_status(st));
    tlt_read_stdout(p, 200);
    if (strstr(p->name, "faults_idle"))
        tlt_expect(p, strstr(p->out, "eintr 0\n") != NULL,
                   "the program saw EINTR from the dump signal:\n%s", p->out);
}

static tlt_proc *start_idle(const char *stem, const char *extra)
{
    static char out[600];
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s", stem);
    const char *env[] = {out, extra, NULL};
    const char *argv[] = {tlt_prog_path("faults_idle"), "8", NULL};
    return tlt_start_argv(argv, env);
}

/* A dump that cannot be written: one warning per attempt, nothing left
 * behind in `dir` (when given), the program unharmed. */
static void unwritable(const char *stem, const char *dir, const char *why)
{
    tlt_proc *p = start_idle(stem, NULL);
    for (int i = 0; i < 3; i++) {
        kill(p->pid, SIGUSR1);
        tlt_sleep_ms(150);
    }
    tlt_expect(p, wait_stderr(p, "threadleak: cannot write dump", 5000),
               "no \"cannot write dump\" line for %s", stem);
    tlt_sleep_ms(300);
    const char *err = tlt_stderr(p);
    tlt_expect(p, strstr(err, why) != NULL, "the warning does not say \"%s\"", why);
    int lines = threadleak_lines(p), cannot = tlt_count_lines(err, "threadleak: cannot write dump");
    tlt_expect(p, lines == cannot && cannot >= 1 && cannot <= 3,
               "%d threadleak lines, %d of them \"cannot write dump\" (expected 1-3, all)", lines,
               cannot);
    if (dir)
        tlt_expect(p, tlt_count_files(dir, NULL) == 0, "%s is not empty after failed dumps", dir);
    expect_clean_exit(p);
    tlt_stop(p);
}

Test(faults, output_directory_missing)
{
    char dir[256], stem[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(stem, sizeof stem, "%s/missing/dump.%%n", dir);
    unwritable(stem, NULL, "No such file or directory");
    struct stat st;
    cr_expect(stat(stem, &st) != 0, "the library created a directory");
    tlt_rmtree(dir);
}

Test(faults, output_under_dev_full)
{
    unwritable("/dev/full/dump.%n", NULL, "Not a directory");
}

static int mount_tmpfs(const char *dir, const char *opts)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    return mount("tmpfs", dir, "tmpfs", strstr(opts, "ro") == opts ? MS_RDONLY : 0,
                 strstr(opts, "size") ? strstr(opts, "size") : NULL);
}

Test(faults, output_directory_read_only)
{
    char dir[256], ro[300], stem[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(ro, sizeof ro, "%s/ro", dir);
    if (mount_tmpfs(ro, "ro") != 0) {
        tlt_rmtree(dir);
        cr_skip_test("cannot mount a read-only tmpfs here (%s)", strerror(errno));
    }
    snprintf(stem, sizeof stem, "%s/dump.%%n", ro);
    unwritable(stem, ro, "Read-only file system");
    umount2(ro, MNT_DETACH);
    tlt_rmtree(dir);
}

Test(faults, output_directory_full)
{
    char dir[256], full[300], stem[400], filler[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(full, sizeof full, "%s/full", dir);
    if (mount_tmpfs(full, "size=64k") != 0) {
        tlt_rmtree(dir);
        cr_skip_test("cannot mount a small tmpfs here (%s)", strerror(errno));
    }
    snprintf(filler, sizeof filler, "%s/filler", full);
    int fd = open(filler, O_WRONLY | O_CREAT, 0600);
    char block[4096];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0) {
    }
    close(fd);
    snprintf(stem, sizeof stem, "%s/dump.%%n", full);
    tlt_proc *p = start_idle(stem, NULL);
    for (int i = 0; i < 3; i++) {
        kill(p->pid, SIGUSR1);
        tlt_sleep_ms(150);
    }
    tlt_expect(p, wait_stderr(p, "threadleak: cannot write dump", 5000), "no warning");
    tlt_expect(p, strstr(tlt_stderr(p), "No space left on device") != NULL,
               "the warning does not say ENOSPC");
    tlt_expect(p, tlt_count_files(full, NULL) == 1, "a partial dump or temporary file was left");
    /* Room again: the next dump is written whole. */
    unlink(filler);
    int before = threadleak_lines(p);
    kill(p->pid, SIGUSR1);
    tlt_sleep_ms(300);
    for (long end = tlt_now_ms() + 5000; tlt_count_files(full, ".json") == 0 && tlt_now_ms() < end;)
        tlt_sleep_ms(20);
    tlt_expect(p, tlt_count_files(full, ".json") == 1 && tlt_count_files(full, ".txt") == 1,
               "no dump once there was room again");
    tlt_expect(p, threadleak_lines(p) == before, "a warning for a dump that worked");
    expect_clean_exit(p);
    tlt_stop(p);
    umount2(full, MNT_DETACH);
    tlt_rmtree(dir);
}

Test(faults, planted_symlinks_are_not_followed)
{
    char dir[256], victim[300], stem[400], path[500], series[500], series_env[520];
    tlt_tempdir(dir, sizeof dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    fputs("precious\n", f);
    fclose(f);
    snprintf(stem, sizeof stem, "%s/dump", dir);
    const char *sfx[] = {".json", ".txt"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", stem, sfx[i]);
        cr_assert(symlink(victim, path) == 0);
    }
    snprintf(series, sizeof series, "%s/series", dir);
    cr_assert(symlink(victim, series) == 0);
    snprintf(series_env, sizeof series_env, "THREADLEAK_SERIES=%s", series);
    mode_t old = umask(0);
    tlt_proc *p = start_idle(stem, series_env);
    umask(old);
    /* The temporary names too, now that the pid is known. */
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s.tmp%d", stem, sfx[i], (int)p->pid);
        cr_assert(symlink(victim, path) == 0);
    }
    kill(p->pid, SIGUSR1);
    struct stat st;
    snprintf(path, sizeof path, "%s.txt", stem);
    for (long end = tlt_now_ms() + 5000; tlt_now_ms() < end; tlt_sleep_ms(20))
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            break;
    tlt_sleep_ms(1200); /* a series tick too */
    char *v = tlt_read_file(victim, NULL);
    tlt_expect(p, v && !strcmp(v, "precious\n"), "the symlink target was changed: %s", v);
    free(v);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s%s", stem, sfx[i]);
        tlt_expect(p, lstat(path, &st) == 0 && S_ISREG(st.st_mode),
                   "%s is not a regular file (the planted link should be replaced)", path);
        tlt_expect(p, (st.st_mode & 0777) == 0600, "%s has mode %o, expected 600 (umask 0)", path,
                   st.st_mode & 0777);
        snprintf(path, sizeof path, "%s%s.tmp%d", stem, sfx[i], (int)p->pid);
        tlt_expect(p, lstat(path, &st) != 0, "temporary %s left behind", path);
    }
    snprintf(path, sizeof path, "%s.json", stem);
    json_t *j = json_load_file(path, 0, NULL);
    tlt_expect(p, j != NULL, "the dump written over the link does not parse");
    json_decref(j);
    tlt_expect(p, lstat(series, &st) == 0 && S_ISLNK(st.st_mode), "the series link was replaced");
    tlt_expect(p, tlt_count_lines(tlt_stderr(p), "threadleak: cannot open THREADLEAK_SERIES") == 1,
               "expected one line saying the series file cannot be opened");
    expect_clean_exit(p);
    tlt_stop(p);
    tlt_rmtree(dir);
}

Test(faults, signal_storm, .timeout = 240)
{
    int bursts = tlt_stress() ? 10 : 1;
    char dir[256], stem[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(stem, sizeof stem, "%s/dump.%%n", dir);
    tlt_proc *p = start_idle(stem, "THREADLEAK_FORMAT=text,json");
    long t0 = tlt_now_ms();
    int sent = 0;
    for (int b = 0; b < bursts; b++) {
        for (int i = 0; i < 1000; i++)
            sent += kill(p->pid, SIGUSR1) == 0;
        tlt_sleep_ms(100);
    }
    long burst_ms = tlt_now_ms() - t0;
    int last = -1;
    for (int stable = 0; stable < 15; tlt_sleep_ms(100)) {
        int n = tlt_count_files(dir, ".json");
        stable = n == last ? stable + 1 : 0;
        last = n;
    }
    int json = tlt_count_files(dir, ".json"), txt = tlt_count_files(dir, ".txt");
    tlt_expect(p, json >= 1 && json < sent, "%d dumps for %d signals", json, sent);
    tlt_expect(p, json == txt, "%d .json but %d .txt", json, txt);
    tlt_expect(p, tlt_count_files_with(dir, ".tmp") == 0, "temporary files left");
    for (int i = 1; i <= json; i++) {
        char path[500], why[256];
        snprintf(path, sizeof path, "%s/dump.%d.json", dir, i);
        json_error_t err;
        json_t *d = json_load_file(path, 0, &err);
        tlt_expect(p, d != NULL, "%s: %s", path, err.text);
        tlt_expect(p, tlt_check_dump(d, why, sizeof why) == 0, "%s: %s", path, why);
        tlt_expect(p, tlt_jint(json_object_get(d, "counts"), "live") == 11, "%s: live %ld", path,
                   tlt_jint(json_object_get(d, "counts"), "live"));
        json_decref(d);
        snprintf(path, sizeof path, "%s/dump.%d.txt", dir, i);
        char *t = tlt_read_file(path, NULL);
        tlt_expect(p, t && !strncmp(t, "threadleak dump ", 16) && t[strlen(t) - 1] == '\n',
                   "%s is not a whole text dump", path);
        free(t);
    }
    tlt_expect(p, threadleak_lines(p) == 0, "threadleak wrote on stderr:\n%s", tlt_stderr(p));
    tlt_figure("signal storm: %d SIGUSR1 in %d bursts (%ld ms) coalesced into %d dumps, all whole; "
               "the program saw no EINTR",
               sent, bursts, burst_ms, json);
    expect_clean_exit(p);
    tlt_stop(p);
    tlt_rmtree(dir);
}

Test(faults, exec_from_a_thread)
{
    tlt_proc *p = tlt_start("faults_exec", NULL);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "cond", "stage2_waiter");
    tlt_expect_group(p, g, "blocked", "cond", 2);
    tlt_expect(p, !tlt_find_group_fn(p, "blocked", "cond", "stage1_waiter"),
               "threads of the image before exec are in the dump");
    tlt_expect_count(p, "live", 3);
    tlt_expect_count(p, "created", 2);
    tlt_stop(p);
}

static tlt_result cli_dump(pid_t pid)
{
    char pids[16];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    const char *argv[] = {cli_threadleak(), "dump", pids, NULL};
    return tlt_run_in(argv, NULL, 0, NULL, 20000);
}

Test(faults, program_blocks_every_signal)
{
    const char *argv[] = {tlt_prog_path("faults_signals"), "block", NULL};
    tlt_proc *p = tlt_start_argv(argv, NULL);
    kill(p->pid, SIGUSR1);
    tlt_sleep_ms(1500);
    tlt_expect_alive(p);
    tlt_expect(p, tlt_count_files(p->dir, ".json") == 0, "a dump although the signal is blocked");
    tlt_result r = cli_dump(p->pid);
    tlt_expect(p, tlt_exited_0(&r) && strstr(r.out, "threadleak dump ") == r.out,
               "threadleak dump %d: %s\n%s%s", (int)p->pid, tlt_status(r.status), r.out, r.err);
    tlt_expect(p, strstr(r.out, "4 threads") != NULL, "the requested dump lacks the 4 waiters");
    tlt_result_free(&r);
    tlt_expect(p, threadleak_lines(p) == 0, "threadleak wrote on stderr:\n%s", tlt_stderr(p));
    expect_clean_exit(p);
    tlt_stop(p);
}

/* The program's own SIGUSR1 handler wins: kill -USR1 reaches only it,
 * threadleak dump still works (it sends no signal), and the notice is
 * threadleak's debug log, not a line on the program's stderr. */
static void own_handler_wins(const char *log)
{
    const char *env[] = {log, NULL};
    const char *argv[] = {tlt_prog_path("faults_signals"), "handler", NULL};
    tlt_proc *p = tlt_start_argv(argv, log ? env : NULL);
    for (int i = 0; i < 3; i++) {
        kill(p->pid, SIGUSR1);
        tlt_sleep_ms(100);
    }
    if (log)
        tlt_expect(p, wait_stderr(p, "threadleak: the program installed its own handler", 3000),
                   "with THREADLEAK_LOG=debug threadleak says the program's handler wins");
    tlt_read_stdout(p, 100);
    tlt_expect(p, tlt_count_files(p->dir, ".json") == 0, "a dump from the program's own signal");
    tlt_result r = cli_dump(p->pid);
    tlt_expect(p, tlt_exited_0(&r) && strstr(r.out, "threadleak dump ") == r.out,
               "threadleak dump %d: %s\n%s%s", (int)p->pid, tlt_status(r.status), r.out, r.err);
    tlt_result_free(&r);
    tlt_read_stdout(p, 300);
    tlt_expect(p, tlt_count_lines(p->out, "usr1") == 3,
               "the program's handler ran %d times, not 3 (threadleak dump must not signal it)",
               tlt_count_lines(p->out, "usr1"));
    kill(p->pid, SIGUSR1);
    tlt_sleep_ms(1200);
    if (!log)
        tlt_expect(p, threadleak_lines(p) == 0, "threadleak wrote on the program's stderr:\n%s",
                   tlt_stderr(p));
    expect_clean_exit(p);
    tlt_expect(p, strstr(p->out, "hits ") != NULL, "no hits line");
    tlt_stop(p);
}

Test(faults, program_installs_its_own_handler)
{
    own_handler_wins(NULL);
}

Test(faults, program_installs_its_own_handler_debug_log)
{
    own_handler_wins("THREADLEAK_LOG=debug");
}

Test(faults, vfork_posix_spawn_and_system_from_threads)
{
    const char *rounds = tlt_stress() ? "200" : "20";
    const char *argv[] = {tlt_prog_path("faults_spawn"), rounds, NULL};
    tlt_proc *p = tlt_start_argv(argv, NULL);
    long spawned = 0, failed = -1;
    sscanf(tlt_printed(p, "spawned"), "%ld failed %ld", &spawned, &failed);
    tlt_expect(p, spawned == 6 * atol(rounds) && failed == 0, "spawned %ld, %ld failed", spawned,
               failed);
    tlt_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "cond", "spawn_blocker");
    tlt_expect_group(p, g, "blocked", "cond", 3);
    tlt_expect_count(p, "created", 9);
    tlt_expect_count(p, "joined", 6);
    tlt_expect_count(p, "live", 4);
    tlt_figure("spawn: %ld children by posix_spawn, vfork+execve and system() from 6 threads, all "
               "exited 0",
               spawned);
    tlt_stop(p);
}

/* In the child: only env, as nobody (so that a setuid-root program runs
 * AT_SECURE). */
static void as_nobody(void *env)
{
    extern char **environ;
    environ = env;
    setgroups(0, NULL);
    if (setgid(65534) || setuid(65534))
        _exit(126);
}

/* A setuid program (AT_SECURE) ignores the THREADLEAK_* paths: no dump,
 * series or exit dump goes where the environment says. */
Test(faults, setuid_process_ignores_paths)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to make a setuid program");
    char dir[256], prog[400], out[400], cmd[9000];
    tlt_tempdir(dir, sizeof dir);
    chmod(dir, 0755);
    snprintf(prog, sizeof prog, "%s/faults_setuid", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s", tlt_prog_path("faults_setuid"), prog);
    cr_assert(system(cmd) == 0, "%s failed", cmd);
    cr_assert(chmod(prog, 04755) == 0);
    snprintf(out, sizeof out, "%s/out", dir);
    mkdir(out, 0777);
    chmod(out, 0777);
    char o[500], s[500];
    snprintf(o, sizeof o, "THREADLEAK_OUTPUT=%s/evil.%%p.%%n", out);
    snprintf(s, sizeof s, "THREADLEAK_SERIES=%s/series", out);
    char *env[] = {o,
                   s,
                   "THREADLEAK_EXIT_DUMP=1",
                   "THREADLEAK_INTERVAL_MS=50",
                   "THREADLEAK_FORMAT=text,json",
                   "PATH=/usr/bin:/bin",
                   NULL};
    const char *argv[] = {prog, NULL};
    char *buf;
    int st = tlt_run_captured(argv, as_nobody, env, 30, &buf);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "faults_setuid: %s\n%s", tlt_status(st), buf);
    cr_expect(strstr(buf, "active 1") != NULL, "the library was not active:\n%s", buf);
    cr_expect(strstr(buf, "secure 1") != NULL, "the process was not AT_SECURE:\n%s", buf);
    cr_expect_eq(tlt_count_files(out, NULL), 0, "files appeared in %s", out);
    cr_expect_eq(tlt_count_lines(buf, "threadleak: THREADLEAK_OUTPUT="), 1, "%s", buf);
    cr_expect_eq(tlt_count_lines(buf, "threadleak: THREADLEAK_SERIES="), 1, "%s", buf);
    cr_expect(strstr(buf, "ignored in a setuid or AT_SECURE process") != NULL, "%s", buf);
    free(buf);
    tlt_rmtree(dir);
}
