/* Thread names. A slot's name follows the thread's: a new thread inherits
 * its creator's (as the kernel copies comm at clone), pthread_setname_np
 * and prctl(PR_SET_NAME) update it. The creator's name is copied into the
 * new slot too, so a dump names the creator after it has exited. Adopted
 * threads read theirs once with PR_GET_NAME: one system call, no
 * descriptor. A name written to /proc/self/task/TID/comm directly is not
 * seen (dump.c reads comm only for threads whose slot has no name). The
 * wrappers are here, what fills a slot's names is in slot_name.c. */
#include <linux/prctl.h>
#include <stdarg.h>

#include "preload/wrap.h"

TL_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    tl_real_ensure();
    int rc = tl_real.pthread_setname_np(t, name);
    if (rc == 0) {
        struct tl_slot *s = pthread_equal(t, pthread_self()) ? tl_self() : tl_slot_of(t);
        if (s)
            tl_copy_name(s->name, name);
    }
    return rc;
}

/* prctl is variadic; every option takes at most four more words, and
 * reading unused argument registers is what glibc's own prctl does. */
TL_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    tl_real_ensure();
    int rc = tl_real.prctl(option, a2, a3, a4, a5);
    if (rc == 0 && option == PR_SET_NAME && a2) {
        int saved = errno;
        struct tl_slot *s = tl_self();
        if (s)
            tl_copy_name(s->name, (const char *)a2); /* the kernel has just read it */
        errno = saved;
    }
    return rc;
}
