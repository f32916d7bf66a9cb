/* How a dump is triggered: 'threadleak dump' and 'threadleak run' reach the
 * library through its request channel and never send the program a signal,
 * so a program's own SIGUSR1 (memcached's graceful stop, Node's inspector),
 * its SIGSEGV handler, and its single-threadedness are left alone; and root
 * can dump a process that dropped its privileges. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(trigger, .fini = tlt_cleanup, .timeout = 90);

/* 'threadleak dump PID', retried for up to ms while the process has not
 * announced itself yet (it does so within one sampler period). */
static void dump_of(cli_result *r, pid_t pid, long ms)
{
    char pids[16];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    const char *argv[] = {cli_threadleak(), "dump", pids, NULL};
    for (long end = tlt_now_ms() + ms;;) {
        cli_exec(r, NULL, 0, argv, NULL);
        if (r->status == 0 || tlt_now_ms() > end)
            return;
        usleep(100 * 1000);
    }
}

/* THREADLEAK_SIGNAL=11 is refused by the library (one warning, USR1 kept),
 * and a dump never reaches the program's SIGSEGV handler. */
Test(trigger, signal_11_never_reaches_a_segv_handler)
{
    const char *env[] = {"THREADLEAK_SIGNAL=11", NULL};
    const char *argv[] = {tlt_prog_path("trigger_catcher"), "segv", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    cli_result *r = cli_new();
    dump_of(r, p->pid, 3000);
    tlt_expect(p, r->status == 0 && strstr(r->out, "3 threads") && strstr(r->out, "trigger_worker"),
               "threadleak dump: %d\n%s%s", r->status, r->out, r->err);
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 300 && !strstr(p->out, "segv "); i++) {
        usleep(10000);
        ssize_t n = read(p->out_fd, p->out + p->out_len, sizeof p->out - 1 - p->out_len);
        if (n > 0)
            p->out[p->out_len += (size_t)n] = 0;
    }
    tlt_expect(p, strstr(p->out, "segv 0\n") != NULL, "the program's SIGSEGV handler ran:\n%s",
               p->out);
    const char *err = tlt_stderr(p);
    tlt_expect(p, strstr(err, "threadleak: THREADLEAK_SIGNAL=11: ") && strstr(err, "using USR1"),
               "the library should refuse 11 in one line:\n%s", err);
    cli_free(r);
    tlt_stop(p);
}

/* A copy of the program (in a fresh directory under /tmp, *dir) that uid
 * 65534 can reach: a root user's clone under /root (0700) is out of its
 * reach, and a process that dropped to nobody could not read its own file
 * for names. */
static const char *prog_nobody_can_read(const char *name, char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/tlt-nobody-XXXXXX");
    cr_assert(mkdtemp(dir), "mkdtemp");
    cr_assert_eq(chmod(dir, 0755), 0);
    static char copy[4300];
    snprintf(copy, sizeof copy, "%s/%s", dir, name);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0755 '%s'", tlt_prog_path(name), copy, copy);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    return copy;
}

/* Root dumps a process that became 'nobody', before and after its sampler
 * started: the process announces itself in the directory of its new uid,
 * and writes the dump where the command made room for it. */
static void dump_a_process_that_became_nobody(const char *mode)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (to start a program that drops to uid 65534)");
    const char *env[] = {"THREADLEAK_INTERVAL_MS=50", NULL};
    char dir[64];
    const char *argv[] = {prog_nobody_can_read("trigger_catcher", dir, sizeof dir), mode, NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    cli_result *r = cli_new();
    dump_of(r, p->pid, 3000);
    /* named too: after setuid the process can no longer read its own
     * /proc/PID/auxv, and libdw is told its modules from its maps */
    tlt_expect(p,
               r->status == 0 && strstr(r->out, "3 threads \u00b7 blocked in cond") &&
                   strstr(r->out, "trigger_worker"),
               "threadleak dump as root of a uid-65534 process: %d\n%s%s", r->status, r->out,
               r->err);
    char ctl[128];
    struct stat st;
    snprintf(ctl, sizeof ctl, "/tmp/threadleak-65534/%d.ctl", (int)p->pid);
    tlt_expect(p, stat(ctl, &st) == 0 && st.st_uid == 65534, "%s is missing or not nobody's", ctl);
    tlt_expect(p, !strstr(tlt_stderr(p), "threadleak: "), "threadleak wrote on its stderr:\n%s",
               tlt_stderr(p));
    cli_free(r);
    tlt_stop(p);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

Test(trigger, root_dumps_a_process_that_dropped_to_nobody_first)
{
    dump_a_process_that_became_nobody("nobody-first");
}

Test(trigger, root_dumps_a_process_that_dropped_to_nobody_later)
{
    dump_a_process_that_became_nobody("nobody-later");
}

/* A process that switches its effective uid back and forth (seteuid
 * around privileged work) keeps one announcement per uid and answers
 * whichever it is at the moment. */
Test(trigger, dump_a_process_that_keeps_switching_its_euid)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (to start a program that switches to uid 65534)");
    const char *env[] = {"THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {tlt_prog_path("trigger_catcher"), "flap", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    cli_result *r = cli_new();
    int ok = 0, n = 0;
    /* over 40 switches: more than a process may map pages for */
    for (long end = tlt_now_ms() + 4000; n < 8 || (tlt_now_ms() < end && n < 60); n++) {
        dump_of(r, p->pid, 3000);
        ok += r->status == 0 && strstr(r->out, "3 threads") != NULL;
        usleep(50 * 1000);
    }
    tlt_expect(p, ok == n, "%d of %d dumps of a process switching its euid: %s", ok, n, r->err);
    cli_free(r);
    tlt_stop(p);
}

/* An announcement removed by someone else (a /tmp cleaner) comes back
 * within a period. */
Test(trigger, a_removed_announcement_comes_back)
{
    const char *env[] = {"THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {tlt_prog_path("trigger_catcher"), "segv", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    char ctl[128];
    snprintf(ctl, sizeof ctl, "/tmp/threadleak-%u/%d.ctl", (unsigned)geteuid(), (int)p->pid);
    for (int i = 0; i < 300 && access(ctl, F_OK) != 0; i++)
        usleep(10000);
    tlt_expect(p, unlink(ctl) == 0, "no announcement %s to remove", ctl);
    int back = 0;
    for (int i = 0; i < 300 && !back; i++, usleep(10000))
        back = access(ctl, F_OK) == 0;
    tlt_expect(p, back, "%s did not come back", ctl);
    cli_result *r = cli_new();
    dump_of(r, p->pid, 0);
    tlt_expect(p, r->status == 0 && strstr(r->out, "3 threads"), "dump after: %d %s", r->status,
               r->err);
    cli_free(r);
    tlt_stop(p);
}

/* A process with a /tmp of its own (a mount namespace: containers,
 * systemd's PrivateTmp): the command finds its announcement and has it
 * write the dump through the process's root. */
Test(trigger, dump_a_process_with_a_private_tmp)
{
    const char *unshare = tlt_which("unshare");
    if (geteuid() != 0 || !unshare)
        cr_skip_test("needs root and unshare (util-linux) for a private /tmp");
    char script[600];
    snprintf(script, sizeof script, "mount -t tmpfs tmpfs /tmp && exec %s segv",
             tlt_prog_path("trigger_catcher"));
    const char *env[] = {"THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {unshare, "-m", "--propagation", "private", "sh", "-c", script, NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    char ctl[128];
    snprintf(ctl, sizeof ctl, "/tmp/threadleak-0/%d.ctl", (int)p->pid);
    cli_result *r = cli_new();
    dump_of(r, p->pid, 3000);
    tlt_expect(p, r->status == 0 && strstr(r->out, "trigger_worker"),
               "threadleak dump of a process with a private /tmp: %d\n%s%s", r->status, r->out,
               r->err);
    tlt_expect(p, access(ctl, F_OK) != 0, "%s is in our /tmp, not the process's", ctl);
    cli_free(r);
    tlt_stop(p);
}

/* The channel directory of a uid is trusted only when it is a real
 * directory of that uid that nobody else may enter: a planted one (open to
 * all, or a symlink to elsewhere) is refused by the library, which then
 * announces nothing, and by the command, which says so. */
static void planted_directory(unsigned uid, int symlinked)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (to start a program as uid %u)", uid);
    char dir[64], elsewhere[64], uids[16];
    snprintf(dir, sizeof dir, "/tmp/threadleak-%u", uid);
    snprintf(elsewhere, sizeof elsewhere, "/tmp/tl-planted-%u.%d", uid, (int)getpid());
    snprintf(uids, sizeof uids, "%u", uid);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, elsewhere);
    cr_assert_eq(system(cmd), 0);
    if (symlinked) {
        cr_assert_eq(mkdir(elsewhere, 0700), 0);
        cr_assert_eq(chown(elsewhere, uid, uid), 0);
        cr_assert_eq(symlink(elsewhere, dir), 0);
    } else {
        cr_assert_eq(mkdir(dir, 0700), 0);
        cr_assert_eq(chmod(dir, 0777), 0);
        cr_assert_eq(chown(dir, uid, uid), 0);
    }
    const char *env[] = {"THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {tlt_prog_path("trigger_catcher"), "nobody-first", uids, NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    usleep(300 * 1000);
    cli_result *r = cli_new();
    dump_of(r, p->pid, 0);
    tlt_expect(p, r->status == 1, "a dump through a planted %s: status %d\n%s%s",
               symlinked ? "symlink" : "directory", r->status, r->out, r->err);
    if (!symlinked)
        tlt_expect(p, strstr(r->err, "is not a private directory of uid") != NULL, "%s", r->err);
    char ctl[128];
    snprintf(ctl, sizeof ctl, "%s/%d.ctl", symlinked ? elsewhere : dir, (int)p->pid);
    tlt_expect(p, access(ctl, F_OK) != 0, "the library announced itself in a planted %s",
               symlinked ? "symlink" : "directory");
    cli_free(r);
    tlt_stop(p);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, elsewhere);
    cr_expect_eq(system(cmd), 0);
}

Test(trigger, planted_directory_open_to_all)
{
    planted_directory(65531, 0);
}

Test(trigger, planted_directory_symlink)
{
    planted_directory(65532, 1);
}

/* 'run' never makes a program multi-threaded: no thread of ours before the
 * program's first, yet the run has its counts (1, all along). */
Test(trigger, run_leaves_a_single_threaded_program_single_threaded)
{
    cli_result *r = cli_new();
    const char *json = cli_path(r, "verdict.json");
    const char *argv[] = {cli_threadleak(), "run",  "--interval", "100ms",
                          "--json",         json,   "--",         tlt_prog_path("trigger_catcher"),
                          "single",         "2000", NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    cr_expect_eq(r->status, 0, "status %d\n%s", r->status, r->err);
    cr_expect(strstr(r->out, "tasks 1\n"), "the program had threads of ours: %s", r->out);
    json_t *v = cli_json(json);
    cr_assert(v, "no verdict JSON:\n%s", r->err);
    cr_expect_str_eq(json_string_value(json_object_get(v, "verdict")), "clean");
    json_t *samples = json_object_get(v, "samples");
    size_t i;
    json_t *s;
    cr_expect_geq(json_array_size(samples), 8, "a 2 s run sampled every 100 ms: %zu samples",
                  json_array_size(samples));
    json_array_foreach(samples, i, s)
        cr_expect_eq(json_integer_value(json_object_get(s, "live")), 1, "sample %zu", i);
    json_decref(v);
    cli_free(r);
}

Test(trigger, run_unshare_user_namespace)
{
    const char *unshare = tlt_which("unshare");
    if (!unshare)
        cr_skip_test("unshare (util-linux) is not installed");
    cli_result *r = cli_new();
    const char *bare[] = {unshare, "-U", "true", NULL};
    cli_exec(r, NULL, 0, bare, NULL);
    if (r->status != 0)
        cr_skip_test("unshare -U fails here without threadleak too: %s", r->err);
    const char *argv[] = {cli_threadleak(), "run", "--", unshare, "-U", "true", NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    cr_expect_eq(r->status, 0, "threadleak run -- unshare -U true: status %d\n%s", r->status,
                 r->err);
    cli_free(r);
}

/* ---- programs nobody here wrote ---- */

struct client {
    int port;
    volatile int done;
    long first_ok, last_ok, served, failed_early;
    long stop_after; /* failures after this (ms since start) are the stop */
    long t0;
};

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* set + get, 20 ms apart, until the run is over; a bounded loop on loopback. */
static void *memcached_client(void *arg)
{
    struct client *c = arg;
    int fd = -1;
    for (int n = 0; !c->done && n < 2000; n++) {
        long t = tlt_now_ms() - c->t0;
        if (fd < 0 && (fd = connect_to(c->port)) < 0) {
            if (c->first_ok && t < c->stop_after)
                c->failed_early++;
            usleep(20000);
            continue;
        }
        const char req[] = "set k 0 0 5\r\nhello\r\nget k\r\n";
        char buf[256];
        size_t got = 0;
        int ok = write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1);
        while (ok && !strstr(buf, "END\r\n")) {
            ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
            if (k <= 0) {
                ok = 0;
                break;
            }
            buf[got += (size_t)k] = 0;
        }
        if (ok && strstr(buf, "STORED\r\n") && strstr(buf, "hello")) {
            c->served++;
            c->last_ok = tlt_now_ms() - c->t0;
            if (!c->first_ok)
                c->first_ok = c->last_ok;
        } else {
            if (c->first_ok && t < c->stop_after)
                c->failed_early++;
            close(fd);
            fd = -1;
        }
        buf[0] = 0;
        usleep(20000);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* Dumps the run asked for and got (request.PID.N.json in its --out). */
static int answered(const char *out)
{
    DIR *d = opendir(out);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        n += strncmp(e->d_name, "request.", 8) == 0 && len > 5 &&
             strcmp(e->d_name + len - 5, ".json") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

/* memcached stops gracefully on SIGUSR1: under 'run', which asks it for
 * dumps at 0.5 s, 1 s, 2 s, it must serve every request until --duration. */
Test(trigger, memcached_serves_until_the_duration_ends)
{
    const char *mc = tlt_need("memcached", "Debian: memcached; scripts/install-deps.sh");
    struct client c = {.port = tlt_free_port(), .stop_after = 3800, .t0 = tlt_now_ms()};
    char port[16];
    snprintf(port, sizeof port, "%d", c.port);
    cli_result *r = cli_new();
    const char *out = cli_path(r, "out");
    const char *argv[] = {
        cli_threadleak(), "run", "--duration", "4s", "--out", out,  "--", mc,  "-u",
        "root",           "-l",  "127.0.0.1",  "-p", port,    "-t", "4",  NULL};
    pthread_t t;
    pthread_create(&t, NULL, memcached_client, &c);
    cli_exec(r, NULL, 0, argv, NULL);
    c.done = 1;
    pthread_join(t, NULL);
    cr_expect_eq(r->status, 0, "status %d\n%s", r->status, r->err);
    cr_expect(strstr(r->err, "threadleak: clean"), "%s", r->err);
    cr_expect(!strstr(r->err, "handler") && !strstr(r->err, "Gracefully"),
              "stray lines on memcached's stderr:\n%s", r->err);
    cr_expect(c.first_ok > 0 && c.first_ok < 2000, "memcached never answered early: %ld ms",
              c.first_ok);
    cr_expect_geq(c.last_ok, 3500, "memcached stopped answering at %ld ms of a 4 s run", c.last_ok);
    cr_expect_eq(c.failed_early, 0, "%ld requests failed before the stop", c.failed_early);
    int dumps = answered(out);
    cr_expect(dumps >= 2, "run asked memcached for dumps (0.5 s, 1 s, 2 s): %d answered in %s",
              dumps, out);
    cli_free(r);
}

/* Node opens its inspector on SIGUSR1: under 'run' it never does. */
Test(trigger, node_never_opens_its_debugger)
{
    const char *node = tlt_which("node");
    if (!node)
        node = tlt_which("nodejs");
    if (!node)
        cr_skip_test("node is not installed (Debian: nodejs; scripts/install-deps.sh)");
    cli_result *r = cli_new();
    const char *out = cli_path(r, "out");
    const char *argv[] = {cli_threadleak(),
                          "run",
                          "--duration",
                          "2500ms",
                          "--out",
                          out,
                          "--",
                          node,
                          "-e",
                          "let n = 0; setInterval(() => { n++; }, 50);",
                          NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    cr_expect_eq(r->status, 0, "status %d\n%s", r->status, r->err);
    cr_expect(!strstr(r->err, "Debugger listening") && !strstr(r->out, "Debugger listening"),
              "node opened its inspector:\n%s", r->err);
    cr_expect(!strstr(r->err, "handler"), "a stray threadleak line:\n%s", r->err);
    int dumps = answered(out);
    cr_expect(dumps >= 1, "node answered no dump request (in %s)", out);
    cli_free(r);
}
