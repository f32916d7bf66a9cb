/* What keeps the sampler thread out of the program's way: a file table of
 * its own, its name, and synchronous signals left deliverable. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "preload/log.h"
#include "preload/registry.h"
#include "preload/sampler.h"
#include "preload/stacks.h"

/* After unshare(CLONE_FILES) the sampler's descriptors are its own: the
 * program neither sees them in /proc/PID/fd nor closes them, and what the
 * sampler opens never takes a number the program expects. The table
 * starts as a copy of the program's, and a copy keeps a pipe's or a
 * socket's end open: all are closed, stderr too (log.c borrows the
 * program's for a message). 0, 1 and 2 then hold /dev/null, so that what a
 * library prints on stderr in this thread lands nowhere, never in a file of
 * ours that took the number. */
static void own_file_table(void)
{
    if (unshare(CLONE_FILES) != 0) {
        tl_log_once(TL_ONCE_SAMPLER,
                    "cannot give the sampler a file table of its own (%s): its descriptors "
                    "are visible to the program",
                    strerror(errno));
        return;
    }
    if (close_range(0, ~0u, 0) != 0)
        for (int fd = 0; fd < 65536; fd++)
            close(fd);
    for (int fd = 0; fd <= STDERR_FILENO; fd++)
        if (open("/dev/null", O_RDWR | O_CLOEXEC) != fd)
            break;
    tl_log_borrow_stderr();
    tl_sampler_own_files = 1;
}

/* Signals a fault or a seccomp filter (SECCOMP_RET_TRAP) raises in the
 * thread itself: blocked, the kernel kills the whole process instead; left
 * open, the program's own handler answers them as it does in its threads. */
TL_HIDDEN void tl_sampler_sigmask(sigset_t *set)
{
    sigfillset(set);
    static const int sync[] = {SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof sync / sizeof *sync; i++)
        sigdelset(set, sync[i]);
}

/* The sampler is started past a sanitizer's pthread_create (it is not the
 * program's thread), so AddressSanitizer never clears the shadow of its
 * stack. In a fork child that stack is one glibc reclaimed from a thread
 * of the parent, and its stale shadow would report our own locals as out
 * of scope: cleared here when the program runs under ASan. */
extern void __asan_unpoison_memory_region(void const volatile *, size_t) __attribute__((weak));

static void clear_sanitizer_shadow(void)
{
    pthread_attr_t attr;
    void *lo;
    size_t size;
    if (!__asan_unpoison_memory_region || pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0)
        __asan_unpoison_memory_region(lo, size);
    pthread_attr_destroy(&attr);
}

TL_HIDDEN void tl_sampler_isolate(void)
{
    clear_sanitizer_shadow();
    tl_on_sampler = 1;
    /* pthread_setname_np would open /proc on a program thread; the real
     * prctl, since the library's own prctl is a wrapper */
    tl_real.prctl(PR_SET_NAME, (unsigned long)"threadleak", 0ul, 0ul, 0ul);
    own_file_table();
    tl_unwind_init(); /* libunwind opens a pipe at its first use: in our table */
}
