/* The sampler thread. The dump signal's handler (dump_signal.c) only sets a
 * flag and wakes it. Everything else happens on the sampler thread, which runs with every signal
 * blocked but the synchronous ones (sampler_isolate.c) so that the program's own handlers keep
 * running on the program's threads, and with a file table of its own. The command reaches the
 * sampler through the request channel (channel.c), never by a signal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/series_line.h"
#include "preload/channel.h"
#include "preload/config.h"
#include "preload/counters_file.h"
#include "preload/dump.h"
#include "preload/dump_signal.h"
#include "preload/guard.h"
#include "preload/log.h"
#include "preload/registry.h"
#include "preload/sampler.h"
#include "preload/snapshot.h"

static int leader_gone;           /* the process's first thread ended by pthread_exit */
static int wanted;                /* this process should have one */
TL_HIDDEN int tl_sampler_missing; /* wanted && not running: wrappers start it */
static uint64_t start_ns;
static int series_fd = -1;
static dev_t series_dev;
static ino_t series_ino;

/* Sleeps one period, or less when woken. Once the leader has ended, the
 * sampler looks often whether it is the last thread. */
static int sleep_period(void)
{
    int ms = tl_config.interval_ms;
    if (__atomic_load_n(&leader_gone, __ATOMIC_ACQUIRE) && ms > 20)
        ms = 20;
    return tl_channel_sleep(ms);
}

static void write_series(void)
{
    if (!tl_config.series[0] || tl_config.secure)
        return;
    struct stat st;
    if (series_fd >= 0 &&
        (fstat(series_fd, &st) != 0 || st.st_dev != series_dev || st.st_ino != series_ino))
        series_fd = -1; /* closed by the program, maybe reused: never write to it */
    if (series_fd < 0) {
        series_fd =
            open(tl_config.series, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (series_fd < 0 || fstat(series_fd, &st) != 0) {
            tl_log_once(TL_ONCE_SERIES, "cannot open THREADLEAK_SERIES %s: %s", tl_config.series,
                        strerror(errno));
            tl_config.series[0] = 0;
            return;
        }
        series_dev = st.st_dev;
        series_ino = st.st_ino;
    }
    tl_counts c;
    tl_count(&c);
    uint64_t now = tl_mono_ns();
    struct tl_series_line x = {(long)getpid(),
                               (long)((now - start_ns) / 1000000),
                               (long)(now / 1000000),
                               c.live,
                               c.running,
                               c.blocked,
                               c.exited_unjoined,
                               c.created,
                               c.joined,
                               c.detached};
    char line[256];
    int n = tl_series_line_format(line, sizeof line, &x);
    if (n > 0 && tl_real.write(series_fd, line, (size_t)n) < 0)
        tl_log_once(TL_ONCE_SERIES, "cannot append to THREADLEAK_SERIES: %s", strerror(errno));
}

/* A request from 'threadleak dump PID' or 'threadleak run', if any. */
static void serve_request(void)
{
    if (tl_config.secure)
        return;
    struct tl_request r;
    int got = tl_channel_take(&r);
    if (got < 0)
        tl_log(TL_LOG_WARN, "ignored a malformed dump request");
    if (got <= 0)
        return;
    struct tl_dump_request req = {
        r.stem, r.formats, r.detail_threads, "request", r.running || tl_config.running_stacks, 0};
    tl_dump_write(&req);
    tl_channel_served();
}

/* Threads of this process that have not ended (an ended leader stays
 * listed, a zombie, while others run); -1 if unknown. */
static long process_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile */
        ssize_t k = tl_real.read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k <= 0)
            continue;
        buf[k] = 0;
        const char *p = strrchr(buf, ')');
        if (p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X')
            n++;
    }
    closedir(d);
    return n;
}

TL_HIDDEN void tl_sampler_leader_exiting(void)
{
    if (!tl_sampler_running())
        return;
    __atomic_store_n(&leader_gone, 1, __ATOMIC_RELEASE);
    tl_channel_wake();
}

/* The dump the signal asked for, if it is still to be written. */
static void signal_dump(void)
{
    if (tl_dump_signal_take() && !tl_config.secure) {
        struct tl_dump_request req = {tl_config.output,         tl_config.formats,
                                      tl_config.detail_threads, "signal",
                                      tl_config.running_stacks, 0};
        tl_dump_write(&req);
    }
}

static void *sampler_main(void *arg)
{
    (void)arg;
    tl_busy_enter(); /* never left: all the sampler does is threadleak's */
    tl_sampler_isolate();
    tl_log_lend_stderr(1);
    tl_channel_announce(1);
    tl_cfile_open();
    for (unsigned periods = 1;; periods++) {
        /* Requests come with a wake-up: a quiet period touches no file
         * (but the series; the counters page is memory), and only every 16th looks after the
         * announcement and for a request whose wake-up went astray. */
        int woken = sleep_period(), thorough = woken || periods % 16 == 0;
        tl_log_lend_stderr(thorough);
        tl_sampler_serve_calls();
        tl_channel_announce(thorough);
        /* The program's last thread has ended: glibc would end the process
         * now with exit(0); only the sampler is keeping it alive. */
        if (__atomic_load_n(&leader_gone, __ATOMIC_ACQUIRE) && process_threads() == 1)
            exit(0);
        tl_dump_lock();
        write_series();
        tl_cfile_update();
        tl_dump_unlock();
        if (thorough)
            serve_request();
        tl_dump_signal_check();
        signal_dump();
    }
    return NULL;
}

static void start_thread(void)
{
    sigset_t all, old;
    tl_sampler_sigmask(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    int was_busy = tl_busy_enter();
    int rc = tl_real.pthread_create(&t, &attr, sampler_main, NULL);
    tl_busy_leave(was_busy);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        tl_log_once(TL_ONCE_SAMPLER, "cannot start the sampler thread: %s", strerror(rc));
        return;
    }
    __atomic_store_n(&tl_sampler_started, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&tl_sampler_missing, 0, __ATOMIC_RELEASE);
}

TL_HIDDEN void tl_sampler_init(void)
{
    start_ns = tl_mono_ns();
    tl_dump_signal_install();
    /* A series is asked for by 'threadleak run'. The sampler still waits
     * for the program's first thread (a thread of ours before it would
     * change what the program can do: unshare(CLONE_NEWUSER), a zygote's
     * fork); one line now says the process is here, with one thread. The
     * descriptor goes at once: the program's main has not run yet. */
    tl_dump_lock();
    write_series();
    if (series_fd >= 0)
        close(series_fd);
    series_fd = -1;
    tl_dump_unlock();
}

static int starting; /* one thread at a time starts it */

TL_HIDDEN void tl_sampler_ensure(void)
{
    if (tl_likely(tl_sampler_running()) || !wanted || !tl_enabled)
        return;
    if (__atomic_exchange_n(&starting, 1, __ATOMIC_ACQ_REL))
        return;
    int saved = errno;
    start_thread();
    if (!tl_sampler_started)
        tl_sampler_missing = 0; /* said once why; do not try on every wait */
    errno = saved;
    __atomic_store_n(&starting, 0, __ATOMIC_RELEASE);
}

TL_HIDDEN void tl_sampler_want(void)
{
    if (tl_likely(tl_sampler_running()))
        return;
    wanted = 1;
    tl_sampler_missing = 1;
    tl_sampler_ensure();
}

TL_HIDDEN void tl_sampler_after_fork_child(void)
{
    /* The parent's sampler does not exist here. A child of a process that
     * had one gets its own at its first blocking call (or thread): a child
     * that only execs stays single-threaded and pays nothing. */
    tl_sampler_missing = tl_sampler_started || wanted;
    tl_sampler_started = 0;
    starting = 0; /* another thread may have been starting it at the fork */
    leader_gone = 0;
    tl_dump_signal_after_fork_child();
    start_ns = tl_mono_ns();
    tl_channel_after_fork_child();
    tl_sampler_calls_after_fork_child();
}

static int final_sample(void *arg)
{
    (void)arg;
    tl_dump_lock();
    write_series();
    tl_dump_unlock();
    /* A signal that came just before the exit still gets its dump: the
     * sampler may not have come round to it, and the process ends now. */
    signal_dump();
    return 0;
}

TL_HIDDEN void tl_sampler_final_sample(void)
{
    tl_sampler_call(final_sample, NULL);
}
