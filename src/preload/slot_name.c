/* The names a slot holds (wrap_name.c says how they follow the thread's):
 * its own, read with PR_GET_NAME, and its creator's. Called by the
 * registry as it adopts a thread, so it calls nothing above the real
 * functions. */
#include <errno.h>
#include <linux/prctl.h>

#include "preload/real.h"
#include "preload/registry.h"

TL_HIDDEN void tl_copy_name(char *dst, const char *src)
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
        tl_copy_name(s->name, name);
    errno = saved;
}

TL_HIDDEN void tl_names_at_create(struct tl_slot *creator, struct tl_slot *s)
{
    if (!creator)
        return;
    if (!creator->name[0])
        tl_name_self(creator);
    tl_copy_name(s->name, creator->name);
    tl_copy_name(s->creator_name, creator->name);
}
