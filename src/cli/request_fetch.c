/* One dump fetched through the request channel, for `threadleak dump` and
 * `threadleak serve`: a private directory for it, the request, and the wait
 * for the file. The request wakes the sampler at once; the wait allows for
 * a busy one (two of its periods) and for a process that exits meanwhile. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int tl_fetch_dump(int pid, const char *format, int threads, long max_wait_ms, tl_fetch *f)
{
    char local[PATH_MAX], stem[PATH_MAX];
    memset(f, 0, sizeof *f);
    if (tl_request_tmpdir(pid, f->dir, sizeof f->dir, local, sizeof local, stem, sizeof stem,
                          f->err, sizeof f->err))
        return TL_FETCH_NO_DIR;
    snprintf(f->path, sizeof f->path, "%s.%s", local, strcmp(format, "json") ? "txt" : "json");
    int asked = tl_request_dump(pid, stem, format, threads, f->err, sizeof f->err);
    if (asked) {
        tl_remove_dir(f->dir);
        return asked > 0 ? TL_FETCH_NO_SAMPLER : TL_FETCH_NOT_ASKED;
    }
    f->wait_ms = 3000 + 2 * tl_proc_interval_ms(pid);
    if (max_wait_ms > 0 && f->wait_ms > max_wait_ms)
        f->wait_ms = max_wait_ms;
    long deadline = tl_now_ms() + f->wait_ms;
    int rc;
    for (;; tl_sleep_ms(10)) {
        if (access(f->path, F_OK) == 0)
            return TL_FETCH_OK;
        if (kill(pid, 0) != 0 && errno == ESRCH) {
            rc = TL_FETCH_EXITED;
            break;
        }
        if (tl_now_ms() > deadline) {
            rc = tl_request_pending(pid) ? TL_FETCH_NOT_TAKEN : TL_FETCH_NOT_WRITTEN;
            break;
        }
    }
    tl_request_cancel(pid);
    tl_remove_dir(f->dir);
    return rc;
}

void tl_fetch_done(tl_fetch *f)
{
    tl_remove_dir(f->dir);
}
