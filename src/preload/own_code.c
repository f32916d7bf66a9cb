/* Which code addresses are threadleak's own: its frames are left out of
 * every stack, captured (stack_capture.c) or unwound (stack_unwind.c). */
#include <link.h>

#include "preload/stacks.h"

struct range {
    uint64_t lo, hi;
};
static struct range own[4];
static int n_own;

static int find_own(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t probe = (uint64_t)(uintptr_t)data;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && probe >= lo && probe < lo + ph->p_memsz)
            mine = 1;
    }
    if (!mine)
        return 0;
    for (int i = 0; i < info->dlpi_phnum && n_own < 4; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            own[n_own].lo = info->dlpi_addr + ph->p_vaddr;
            own[n_own].hi = own[n_own].lo + ph->p_memsz;
            n_own++;
        }
    }
    return 1;
}

TL_HIDDEN int tl_ip_is_ours(uint64_t ip)
{
    for (int i = 0; i < n_own; i++)
        if (ip >= own[i].lo && ip < own[i].hi)
            return 1;
    return 0;
}

TL_HIDDEN void tl_own_code_init(void)
{
    dl_iterate_phdr(find_own, (void *)(uintptr_t)&tl_ip_is_ours);
}
