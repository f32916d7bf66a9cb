/* Creation stacks, captured in the creating thread. libunwind is loaded
 * with dlopen(RTLD_LOCAL): as a DT_NEEDED of a preloaded library its
 * _Unwind_* exports would take C++ exception handling away from libgcc_s. */
#include <dlfcn.h>
#include <link.h>

#include "preload/config.h"
#include "preload/log.h"
#include "preload/stacks.h"

static int (*unw_backtrace_fn)(void **, int);

/* libunwind has no fork handlers: a child forked while another thread was
 * inside it could find its lock taken forever. Creators hold this shared,
 * fork holds it exclusively. */
static pthread_rwlock_t unwinding;

TL_HIDDEN void tl_stacks_fork_prepare(void)
{
    tl_real.pthread_rwlock_wrlock(&unwinding);
}

TL_HIDDEN void tl_stacks_fork_parent(void)
{
    pthread_rwlock_unlock(&unwinding);
}

/* Unlocking would not do: the child's thread has a new tid, and glibc
 * takes an unlock by a thread that is not the recorded writer for a
 * reader's. */
static void init_lock(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&unwinding, &attr);
    pthread_rwlockattr_destroy(&attr);
}

TL_HIDDEN void tl_stacks_after_fork_child(void)
{
    init_lock();
}

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

TL_HIDDEN int tl_stacks_init(void)
{
    init_lock();
    dl_iterate_phdr(find_own, (void *)(uintptr_t)&tl_ip_is_ours);
    if (tl_intern_init() != 0)
        return -1;
    void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (lib)
        unw_backtrace_fn = (int (*)(void **, int))dlsym(lib, "unw_backtrace");
    if (!unw_backtrace_fn)
        tl_log_once(TL_ONCE_UNWIND,
                    "libunwind.so.8 not found (install libunwind8): no creation stacks");
    tl_unwind_init();
    return 0;
}

TL_HIDDEN uint32_t tl_capture_spawn_stack(void)
{
    if (!unw_backtrace_fn)
        return 0;
    void *raw[TL_MAX_FRAMES + 8];
    uint64_t ips[TL_MAX_FRAMES];
    int saved_busy = tl_busy;
    tl_busy = 1; /* libunwind takes locks through the PLT: pass them through */
    tl_real.pthread_rwlock_rdlock(&unwinding);
    int n = unw_backtrace_fn(raw, tl_config.frames + 8);
    pthread_rwlock_unlock(&unwinding);
    tl_busy = saved_busy;
    int depth = 0, i = 0;
    while (i < n && tl_ip_is_ours((uint64_t)(uintptr_t)raw[i]))
        i++;
    for (; i < n && depth < tl_config.frames; i++)
        ips[depth++] = (uint64_t)(uintptr_t)raw[i];
    return tl_intern(ips, depth);
}
