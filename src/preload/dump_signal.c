/* The dump signal (THREADLEAK_SIGNAL): its handler, which asks the sampler
 * for a dump with a flag and a futex wake (one async-signal-safe system
 * call, and no file descriptor a daemon's close-everything loop could take
 * from us), or answers a running-stack capture (running_answer.c); and
 * whether that handler is still ours: a program's own handler wins. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "preload/channel.h"
#include "preload/config.h"
#include "preload/dump_signal.h"
#include "preload/log.h"
#include "preload/running_answer.h"

static int signal_pending;
static int handler_installed;

TL_HIDDEN __thread unsigned tl_signal_hits;

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    tl_signal_hits++;
    if (!__atomic_exchange_n(&signal_pending, 1, __ATOMIC_ACQ_REL))
        tl_channel_wake();
    errno = saved;
}

/* The same handler once running-stack captures are wanted: a visit is a
 * dump trigger or a capture the sampler asked this thread for (running.c).
 * Installed only then (at start with THREADLEAK_RUNNING_STACKS=1, or at the
 * first `threadleak dump --running`), so that with captures off nothing
 * about the handler differs from a build without them. */
static void on_capture_signal(int sig, siginfo_t *si, void *ucontext)
{
    int saved = errno;
    if (tl_running_answer(si, ucontext))
        tl_signal_hits++;
    else
        on_signal(sig);
    errno = saved;
}

static int is_ours(const struct sigaction *a)
{
    return (a->sa_flags & SA_SIGINFO) ? a->sa_sigaction == on_capture_signal
                                      : a->sa_handler == on_signal;
}

/* old: what was installed before (may be NULL). */
static int install(int capture, struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (capture)
        sa.sa_sigaction = on_capture_signal;
    else
        sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | (capture ? SA_SIGINFO : 0);
    sigemptyset(&sa.sa_mask);
    return sigaction(tl_config.signal, &sa, old);
}

/* cur: what is installed now, when it is ours. */
static int ours_now(struct sigaction *cur)
{
    return handler_installed && sigaction(tl_config.signal, NULL, cur) == 0 && is_ours(cur);
}

TL_HIDDEN int tl_dump_signal_owned(void)
{
    struct sigaction cur;
    return ours_now(&cur);
}

TL_HIDDEN int tl_dump_signal_capturing(void)
{
    struct sigaction cur;
    if (!ours_now(&cur))
        return 0;
    if (cur.sa_flags & SA_SIGINFO)
        return 1;
    /* The program may install its own between the look and the swap: then
     * it gets it back at once. */
    struct sigaction before;
    if (install(1, &before) != 0)
        return 0;
    if (is_ours(&before))
        return 1;
    sigaction(tl_config.signal, &before, NULL);
    return 0;
}

TL_HIDDEN void tl_dump_signal_check(void)
{
    if (!handler_installed)
        return;
    struct sigaction cur;
    if (sigaction(tl_config.signal, NULL, &cur) == 0 && !is_ours(&cur)) {
        /* Said where threadleak's users look, never on the program's
         * stderr by default: a program's own handler is no fault. */
        handler_installed = 0;
        tl_channel_set_flag(TL_CHANNEL_SIGNAL_TAKEN);
        tl_log(TL_LOG_DEBUG,
               "the program installed its own handler for signal %d; it wins: dump with "
               "'threadleak dump %d' or choose another THREADLEAK_SIGNAL",
               tl_config.signal, (int)getpid());
    }
}

TL_HIDDEN void tl_dump_signal_install(void)
{
    if (!tl_config.signal)
        return;
    struct sigaction old;
    /* An inherited SIG_IGN (nohup, a parent's choice) is the program's
     * to keep: it would otherwise reach its own children as SIG_DFL. */
    if (sigaction(tl_config.signal, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        tl_log(TL_LOG_DEBUG, "signal %d is ignored by this program: dumps only on request",
               tl_config.signal);
    else if (install(tl_config.running_stacks, NULL) == 0)
        handler_installed = 1;
}

TL_HIDDEN int tl_dump_signal_take(void)
{
    return __atomic_exchange_n(&signal_pending, 0, __ATOMIC_ACQ_REL);
}

TL_HIDDEN void tl_dump_signal_after_fork_child(void)
{
    signal_pending = 0;
}
