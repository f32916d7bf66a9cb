/* `threadleak dump [--json] [--threads] PID`: ask a running preloaded
 * process for a dump and print it on stdout. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"

/* The kernel's count of the process's threads, -1 when unknown. */
static int proc_threads(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

static int copy_out(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        tl_msg("cannot read the dump %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, stdout) != n)
            break;
    int bad = ferror(in) || fflush(stdout) != 0 || ferror(stdout);
    fclose(in);
    if (bad)
        tl_msg("cannot write the dump to stdout: %s", strerror(errno));
    return bad ? -1 : 0;
}

int threadleak_cmd_dump(int argc, char **argv)
{
    int json = 0, threads = 0;
    const char *pid_arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--threads") == 0)
            threads = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            threadleak_usage(stdout);
            return TL_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            tl_msg("unknown option %s for dump: it takes --json and --threads", argv[i]);
            return TL_EXIT_USAGE;
        } else if (pid_arg) {
            tl_msg("dump takes one PID, got %s and %s", pid_arg, argv[i]);
            return TL_EXIT_USAGE;
        } else
            pid_arg = argv[i];
    }
    long pid;
    if (!pid_arg) {
        tl_msg("dump needs the PID of a running process, as in threadleak dump 4242");
        return TL_EXIT_USAGE;
    }
    if (tl_parse_long(pid_arg, 1, 4194304, &pid)) {
        tl_msg("dump %s: not a process id: give a number like 4242 (see pgrep)", pid_arg);
        return TL_EXIT_USAGE;
    }
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        tl_msg("no process with pid %ld: check the pid (ps, pgrep)", pid);
        return TL_EXIT_FAIL;
    }
    if (threadleak_proc_has_lib((int)pid) != 1) /* any process: through ptrace */
        return tl_attach_dump((pid_t)pid, json, threads, stdout);
    char dir[PATH_MAX], stem[PATH_MAX + 16], path[PATH_MAX + 32], err[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/threadleak-dump.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        tl_msg("cannot create a temporary directory %s: %s; set TMPDIR to a writable one", dir,
               strerror(errno));
        return TL_EXIT_FAIL;
    }
    snprintf(stem, sizeof stem, "%s/dump", dir);
    snprintf(path, sizeof path, "%s.%s", stem, json ? "json" : "txt");
    if (threadleak_request_dump((int)pid, stem, json ? "json" : "text", threads, err, sizeof err)) {
        tl_msg("cannot ask pid %ld for a dump: %s", pid, err);
        tl_remove_dir(dir);
        return TL_EXIT_FAIL;
    }
    long deadline = tl_now_ms() + 3000 + 2 * threadleak_proc_interval_ms((int)pid);
    int rc = TL_EXIT_FAIL;
    for (;;) {
        if (access(path, F_OK) == 0) {
            rc = copy_out(path) ? TL_EXIT_FAIL : TL_EXIT_OK;
            break;
        }
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            tl_msg("pid %ld exited before it wrote the dump", pid);
            break;
        }
        if (tl_now_ms() > deadline) {
            if (proc_threads((int)pid) == 1)
                tl_msg("pid %ld did not answer: it has a single thread, and threadleak's "
                       "sampler starts with a program's first thread (a lone main thread "
                       "cannot leak one)",
                       pid);
            else
                tl_msg("pid %ld did not answer: is it running under libthreadleak.so?", pid);
            break;
        }
        tl_sleep_ms(10);
    }
    if (rc != TL_EXIT_OK)
        threadleak_request_cancel((int)pid);
    tl_remove_dir(dir);
    return rc;
}
