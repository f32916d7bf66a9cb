/* Writing a dump to disk: each file is written aside (O_EXCL, O_NOFOLLOW,
 * mode 0600) and renamed into place, so it is whole or absent, and a
 * planted symlink is replaced, never followed. Written by the sampler, in
 * its own file table (sampler_call.c), whoever asks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/config.h"
#include "preload/dump.h"
#include "preload/guard.h"
#include "preload/log.h"
#include "preload/registry.h"
#include "preload/sampler_call.h"
#include "preload/symbolize.h"

static int dump_number;

TL_HIDDEN void tl_dump_file_after_fork_child(void)
{
    dump_number = 0;
}

static int write_one(const tl_dump *d, const char *path, int json)
{
    char tmp[PATH_MAX + 32];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) { /* left by a crash: ours to replace */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return -e;
    }
    int rc = json ? tl_write_json(f, d) : tl_write_text(f, d);
    if (fflush(f) != 0)
        rc = -1;
    int e = rc ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (e) {
        unlink(tmp);
        return -e;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

static int write_dump(void *arg)
{
    const struct tl_dump_request *req = arg;
    char stem[PATH_MAX], path[PATH_MAX + 8];
    int was_busy = tl_busy_enter();
    tl_dump_lock();
    int number = ++dump_number;
    int rc = tl_expand_stem(req->stem, getpid(), number, stem, sizeof stem) ? -ENAMETOOLONG : 0;
    tl_dump *d =
        rc ? NULL : tl_dump_build(req->reason, req->detail_threads, req->running, req->requester);
    if (!rc && !d)
        rc = -ENOMEM;
    if (d) {
        d->number = number;
        if (req->formats & TL_FORMAT_JSON) {
            snprintf(path, sizeof path, "%s.json", stem);
            rc = write_one(d, path, 1);
        }
        if (!rc && (req->formats & TL_FORMAT_TEXT)) {
            snprintf(path, sizeof path, "%s.txt", stem);
            rc = write_one(d, path, 0);
        }
        tl_dump_free(d);
    }
    tl_symbolize_release_files();
    tl_dump_unlock();
    if (rc)
        tl_log(TL_LOG_WARN, "cannot write dump %s: %s", rc == -ENAMETOOLONG ? req->stem : path,
               strerror(-rc));
    tl_busy_leave(was_busy);
    return rc;
}

TL_HIDDEN int tl_dump_write(const struct tl_dump_request *req)
{
    struct tl_dump_request r = *req;
    if (!tl_on_sampler) /* it waits in threadleak's code: nowhere worth showing */
        r.requester = tl_gettid();
    return tl_sampler_call(write_dump, &r);
}
