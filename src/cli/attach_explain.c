/* Why ptrace was refused: the first reason that applies, and what to do
 * about it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"

/* 1 when our effective capabilities hold CAP_SYS_PTRACE (bit 19). */
static int have_cap_sys_ptrace(void)
{
    char buf[16384];
    const char *v =
        tl_read_small("/proc/self/status", buf, sizeof buf) ? NULL : tl_status_field(buf, "CapEff");
    return v && (strtoull(v, NULL, 16) >> 19) & 1;
}

static int yama_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* EPERM or EACCES from PTRACE_SEIZE of pid, a process of uid owner. */
static void not_permitted(pid_t pid, uid_t owner, char *out, size_t outlen)
{
    long tracer = tl_attach_status(pid, "TracerPid");
    int cap = have_cap_sys_ptrace();
    uid_t me = geteuid();
    int scope = yama_scope();
    if (tracer > 0) {
        char comm[64] = "?";
        tl_attach_comm((pid_t)tracer, (pid_t)tracer, comm, sizeof comm);
        snprintf(out, outlen,
                 "pid %d is already traced by pid %ld (%s): a process has one tracer at a time; "
                 "detach that one (or let it finish) and try again",
                 (int)pid, tracer, comm);
    } else if (owner != me && !cap) {
        snprintf(out, outlen,
                 "pid %d belongs to uid %u and you are uid %u: run threadleak as that user, or "
                 "as root (sudo threadleak dump %d)",
                 (int)pid, (unsigned)owner, (unsigned)me, (int)pid);
    } else if (scope == 1 && !cap) {
        snprintf(
            out, outlen,
            "ptrace of pid %d not permitted: kernel.yama.ptrace_scope is 1, so only a "
            "parent may trace its children; run as root (sudo threadleak dump %d), or give "
            "threadleak CAP_SYS_PTRACE (sudo setcap cap_sys_ptrace=ep \"$(command -v "
            "threadleak)\"), or allow it until reboot (sudo sysctl kernel.yama.ptrace_scope=0)",
            (int)pid, (int)pid);
    } else if (scope == 2 && !cap) {
        snprintf(out, outlen,
                 "ptrace of pid %d not permitted: kernel.yama.ptrace_scope is 2, so only "
                 "processes with CAP_SYS_PTRACE may trace; run as root (sudo threadleak dump %d) "
                 "or sudo setcap cap_sys_ptrace=ep \"$(command -v threadleak)\"",
                 (int)pid, (int)pid);
    } else if (scope == 3) {
        snprintf(out, outlen,
                 "ptrace of pid %d not permitted: kernel.yama.ptrace_scope is 3, which disables "
                 "ptrace until the next reboot; start the program under threadleak instead "
                 "(threadleak run, or LD_PRELOAD=libthreadleak.so)",
                 (int)pid);
    } else {
        snprintf(out, outlen,
                 "ptrace of pid %d not permitted%s: in a container, start it with "
                 "--cap-add=SYS_PTRACE (docker, podman) or add SYS_PTRACE to "
                 "securityContext.capabilities (Kubernetes); a set-id or non-dumpable program "
                 "needs root; or start the program under threadleak (threadleak run, or "
                 "LD_PRELOAD=libthreadleak.so)",
                 (int)pid, cap ? "" : " (no CAP_SYS_PTRACE here)");
    }
}

void tl_attach_explain(pid_t pid, int err, char *out, size_t outlen)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    if (err == ESRCH || stat(path, &st) != 0)
        snprintf(out, outlen, "pid %d exited", (int)pid);
    else if (pid == getpid())
        snprintf(out, outlen,
                 "pid %d is this threadleak itself: a process cannot trace its own "
                 "threads",
                 (int)pid);
    else if (err != EPERM && err != EACCES)
        snprintf(out, outlen, "cannot attach to pid %d with ptrace: %s", (int)pid, strerror(err));
    else
        not_permitted(pid, st.st_uid, out, outlen);
}
