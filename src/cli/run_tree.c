/* `threadleak run`, the process tree: every descendant of the run seen in
 * /proc (its user, its name, whether the library is loaded into it, its
 * most threads), so that a preloaded process that never reported to the run
 * is named as unjudged instead of being missing from a "clean" verdict. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run.h"

typedef struct pinfo {
    int pid, ppid;
} pinfo;

/* ppid and comm from /proc/PID/stat; -1 when gone. */
static int stat_of(int pid, int *ppid, char *comm, size_t n)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (tl_read_small(path, buf, sizeof buf))
        return -1;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren[1] != ' ')
        return -1;
    if (comm)
        snprintf(comm, n, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    char state;
    if (sscanf(close_paren + 2, "%c %d", &state, ppid) != 2)
        return -1;
    return state == 'Z' || state == 'X' ? -1 : 0;
}

static void status_of(int pid, unsigned *uid, int *threads)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (tl_read_small(path, buf, sizeof buf))
        return;
    const char *v = tl_status_field(buf, "Uid");
    if (v)
        *uid = (unsigned)strtoul(v, NULL, 10);
    if ((v = tl_status_field(buf, "Threads")))
        *threads = atoi(v);
}

tl_proc_seen *tl_tree_find(tl_run_result *r, int pid)
{
    for (int i = 0; i < r->n_seen; i++)
        if (r->seen[i].pid == pid)
            return &r->seen[i];
    return NULL;
}

tl_proc_seen *tl_tree_note(tl_run_result *r, int pid, long now_ms)
{
    tl_proc_seen *s = tl_tree_find(r, pid);
    if (!s) {
        r->seen = tl_xrealloc(r->seen, (size_t)r->n_seen + 1, sizeof *r->seen);
        s = &r->seen[r->n_seen++];
        memset(s, 0, sizeof *s);
        s->pid = pid;
        s->first_ms = s->last_ms = now_ms;
    }
    return s;
}

/* Every process with its parent, from /proc; NULL when it cannot be read. */
static pinfo *list_processes(int *n_out)
{
    DIR *d = opendir("/proc");
    if (!d)
        return NULL;
    pinfo *all = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        int pid = atoi(e->d_name), ppid;
        if (stat_of(pid, &ppid, NULL, 0))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 512;
            all = tl_xrealloc(all, (size_t)cap, sizeof *all);
        }
        all[n].pid = pid;
        all[n++].ppid = ppid;
    }
    closedir(d);
    *n_out = n;
    return all;
}

/* 1 for each of all[0..n) that descends from this process: a fixed point
 * over the parent links. */
static char *descendants(const pinfo *all, int n)
{
    char *mine = tl_xcalloc((size_t)n + 1, 1);
    int me = (int)getpid();
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < n; i++) {
            if (mine[i])
                continue;
            int ok = all[i].ppid == me;
            for (int k = 0; !ok && k < n; k++)
                ok = mine[k] && all[k].pid == all[i].ppid;
            if (ok)
                mine[i] = changed = 1;
        }
    }
    return mine;
}

/* pid seen now: its name, user, most threads, and whether it has the library. */
static void note_seen(tl_run_result *r, int pid, long now_ms)
{
    tl_proc_seen *s = tl_tree_note(r, pid, now_ms);
    int ppid, threads = 0;
    stat_of(s->pid, &ppid, s->comm, sizeof s->comm);
    status_of(s->pid, &s->uid, &threads);
    if (threads > s->max_threads)
        s->max_threads = threads;
    if (!s->has_lib)
        s->has_lib = tl_proc_has_lib(s->pid) == 1;
    s->last_ms = now_ms;
}

void tl_tree_scan(tl_run_result *r, long now_ms)
{
    int n = 0;
    pinfo *all = list_processes(&n);
    if (!all)
        return;
    char *mine = descendants(all, n);
    for (int i = 0; i < n; i++)
        if (mine[i])
            note_seen(r, all[i].pid, now_ms);
    free(mine);
    free(all);
}
