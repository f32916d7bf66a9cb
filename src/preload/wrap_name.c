/* Thread names. A slot's name follows the thread's: a new thread inherits
 * its creator's (as the kernel copies comm at clone), pthread_setname_np
 * and prctl(PR_SET_NAME) update it. The creator's name is copied into the
 * new slot too, so a dump names the creator after it has exited. Adopted
 * threads read theirs once with PR_GET_NAME: one system call, no
 * descriptor. A name written to /proc/self/task/TID/comm directly is not
 * seen (dump.c reads comm only for threads whose slot has no name). */
#include <linux/prctl.h>
#include <stdarg.h>

#include "preload/wrap.h"

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; i < 15 && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

TL_HIDDEN void tl_name_self(struct tl_slot *s)
{
    char name[17] = {0};
    tl_real_ensure();
    int saved = errno;
    if (tl_real.prctl && tl_real.prctl(PR_GET_NAME, (unsigned long)name, 0ul, 0ul, 0ul) == 0)
        copy_name(s->name, name);
    errno = saved;
}

TL_HIDDEN void tl_names_at_create(struct tl_slot *creator, struct tl_slot *s)
{
    if (!creator)
        return;
    if (!creator->name[0])
        tl_name_self(creator);
    copy_name(s->name, creator->name);
    copy_name(s->creator_name, creator->name);
}

TL_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    tl_real_ensure();
    int rc = tl_real.pthread_setname_np(t, name);
    if (rc == 0) {
        struct tl_slot *s = pthread_equal(t, pthread_self()) ? tl_self() : tl_slot_of(t);
        if (s)
            copy_name(s->name, name);
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
            copy_name(s->name, (const char *)a2); /* the kernel has just read it */
        errno = saved;
    }
    return rc;
}
