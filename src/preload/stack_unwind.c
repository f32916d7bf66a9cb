/* Blocked-at stacks, unwound by the sampler from the registers a wrapper
 * saved as it blocked. The blocked thread is never stopped or signalled.
 * Its stack may change under us if it wakes, so no stack word is read
 * directly: reads go through process_vm_readv, which fails instead of
 * faulting, and the caller checks afterwards that the thread was blocked
 * in the same wait all along. Unwind tables are read in place, from the
 * loaded objects' segments. libunwind's generic (remote-capable) build
 * does the CFI work with these accessors. */
#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/range.h"
#include "preload/lib_functions.h"
#include "preload/log.h"
#include "preload/registry.h"
#include "preload/sampler_call.h"
#include "preload/stacks.h"

static struct {
    unw_addr_space_t (*create_addr_space)(unw_accessors_t *, int);
    unw_accessors_t *(*get_accessors)(unw_addr_space_t);
    int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
    int (*set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
    int (*set_cache_size)(unw_addr_space_t, size_t, int);
} from_libunwind;
static unw_addr_space_t space;
/* Why the program's memory cannot be read, "" while it can: a seccomp
 * filter may forbid process_vm_readv (or trap it, the program's SIGSYS
 * handler answering). Stacks are then unknown, never a reason to stop. */
static char unreadable[200];

#define TL_MAX_SEGMENTS 4096
static struct tl_range segments[TL_MAX_SEGMENTS];
static int n_segments;
static unsigned long long built_adds, built_subs; /* loader counters the table is of */

struct unwind_arg {
    const struct tl_regs *regs;
    const struct tl_stack_copy *copy; /* running captures: their stack as it was */
    uint64_t cache_lo, cache_hi;
    unsigned char cache[1024];
};

static int add_segments(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum && n_segments < TL_MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R))
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr;
        segments[n_segments].lo = lo;
        segments[n_segments].hi = lo + ph->p_filesz; /* beyond filesz: .bss, may be absent */
        n_segments++;
    }
    built_adds = info->dlpi_adds;
    built_subs = info->dlpi_subs;
    return 0;
}

static int in_segment(uint64_t addr)
{
    int i = tl_range_find(segments, n_segments, sizeof *segments, addr);
    return i >= 0 && addr + 8 <= segments[i].hi;
}

static int by_start(const void *a, const void *b)
{
    const struct tl_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void forbidden(int e)
{
    if (unreadable[0])
        return;
    snprintf(unreadable, sizeof unreadable,
             "process_vm_readv fails (%s), a sandbox's seccomp filter most likely: blocked-at "
             "stacks are unknown",
             strerror(e));
    tl_log_once(TL_ONCE_UNWIND, "%s", unreadable);
}

/* Once per dump, on the sampler, with synchronous signals deliverable: a
 * filter that traps the call then meets the program's handler here, not
 * inside libunwind, which blocks every signal while it holds its lock. */
static void probe(void)
{
    uint64_t word = 1, copy = 0;
    struct iovec local = {&copy, sizeof copy}, remote = {&word, sizeof word};
    errno = 0;
    if (process_vm_readv(tl_gettid(), &local, 1, &remote, 1, 0) != (ssize_t)sizeof copy ||
        copy != 1)
        forbidden(errno ? errno : EIO);
}

TL_HIDDEN const char *tl_unwind_unknown(void)
{
    return unreadable[0] ? unreadable : NULL;
}

static int read_safely(struct unwind_arg *a, uint64_t addr, unw_word_t *val)
{
    if (addr < a->cache_lo || addr + 8 > a->cache_hi) {
        uint64_t start = addr & ~7ull;
        size_t len = 4096 - (start & 4095); /* never across a page */
        if (len > sizeof a->cache)
            len = sizeof a->cache;
        struct iovec local = {a->cache, len}, remote = {(void *)(uintptr_t)start, len};
        /* Through our own tid: once main has called pthread_exit, the pid
         * names a zombie without memory and every read would fail. */
        ssize_t n = process_vm_readv(tl_gettid(), &local, 1, &remote, 1, 0);
        if (n < 0 && errno != EFAULT && errno != ESRCH)
            forbidden(errno);
        if (n < 8)
            return -UNW_EINVAL;
        a->cache_lo = start;
        a->cache_hi = start + (uint64_t)n;
        if (addr + 8 > a->cache_hi)
            return -UNW_EINVAL;
    }
    memcpy(val, a->cache + (addr - a->cache_lo), 8);
    return 0;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as;
    if (write)
        return -UNW_EINVAL;
    const struct tl_stack_copy *c = ((struct unwind_arg *)arg)->copy;
    if (c && addr >= c->lo && addr + 8 <= c->lo + c->n) {
        memcpy(val, c->bytes + (addr - c->lo), 8);
        return 0;
    }
    if (in_segment(addr)) {
        memcpy(val, (const void *)(uintptr_t)addr, 8);
        return 0;
    }
    return read_safely(arg, addr, val);
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as;
    const struct tl_regs *r = ((struct unwind_arg *)arg)->regs;
    if (write)
        return 0;
    switch (reg) {
    case UNW_X86_64_RIP:
        *val = r->ip;
        break;
    case UNW_X86_64_RSP:
        *val = r->sp;
        break;
    case UNW_X86_64_RBP:
        *val = r->bp;
        break;
    case UNW_X86_64_RBX:
        *val = r->bx;
        break;
    case UNW_X86_64_R12:
        *val = r->r12;
        break;
    case UNW_X86_64_R13:
        *val = r->r13;
        break;
    case UNW_X86_64_R14:
        *val = r->r14;
        break;
    case UNW_X86_64_R15:
        *val = r->r15;
        break;
    default:
        *val = 0; /* caller-saved: dead across the call, never needed */
        break;
    }
    return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                        void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as, (void)c, (void)arg;
    return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off,
                         void *arg)
{
    (void)as, (void)ip, (void)buf, (void)len, (void)off, (void)arg;
    return -UNW_ENOINFO;
}

/* libunwind's first use (tdep_init) opens a pipe and probes mincore() to
 * validate memory for its local unwinder, which threadleak does not use
 * (this address space never validates). It does so with every signal
 * blocked: a seccomp filter that traps either call (SECCOMP_RET_TRAP) would
 * then kill the process, and Firefox's sandbox reports mincore. So while
 * the sampler initialises libunwind both fail at once, without a system
 * call, and libunwind settles for msync, which it then never calls. Every
 * other caller passes through. */
static int initialising;

static int refused(void)
{
    if (!__atomic_load_n(&initialising, __ATOMIC_RELAXED) || !tl_on_sampler)
        return 0;
    errno = ENOSYS;
    return 1;
}

TL_EXPORT int mincore(void *addr, size_t len, unsigned char *vec)
{
    if (refused())
        return -1;
    tl_real_ensure();
    return (int)tl_real.syscall(SYS_mincore, (long)addr, (long)len, (long)vec, 0, 0, 0);
}

TL_EXPORT int pipe2(int fds[2], int flags)
{
    if (refused())
        return -1;
    tl_real_ensure();
    return (int)tl_real.syscall(SYS_pipe2, (long)fds, (long)flags, 0, 0, 0, 0);
}

static int init_libunwind(void);

/* Held while the sampler opens libunwind, and by fork's prepare handler: a
 * fork in the middle of that dlopen left the child a half-loaded library
 * that its own sampler could not use (no blocked-at stacks in its dumps). */
static pthread_mutex_t init_mutex = PTHREAD_MUTEX_INITIALIZER;

TL_HIDDEN void tl_unwind_fork_prepare(void)
{
    tl_real.pthread_mutex_lock(&init_mutex);
}

TL_HIDDEN void tl_unwind_fork_parent(void)
{
    pthread_mutex_unlock(&init_mutex);
}

TL_HIDDEN void tl_unwind_after_fork_child(void)
{
    pthread_mutex_init(&init_mutex, NULL);
}

/* Run by the sampler as it starts. */
TL_HIDDEN int tl_unwind_init(void)
{
    tl_real.pthread_mutex_lock(&init_mutex);
    int rc = 0;
    if (!space) {
        __atomic_store_n(&initialising, 1, __ATOMIC_RELAXED);
        rc = init_libunwind();
        __atomic_store_n(&initialising, 0, __ATOMIC_RELAXED);
        if (space)
            probe();
    }
    pthread_mutex_unlock(&init_mutex);
    return rc;
}

static const tl_lib_function unwind_functions[] = {
    TL_LIB_FUNCTION(from_libunwind.create_addr_space, "_Ux86_64_create_addr_space"),
    TL_LIB_FUNCTION(from_libunwind.get_accessors, "_Ux86_64_get_accessors"),
    TL_LIB_FUNCTION(from_libunwind.init_remote, "_Ux86_64_init_remote"),
    TL_LIB_FUNCTION(from_libunwind.step, "_Ux86_64_step"),
    TL_LIB_FUNCTION(from_libunwind.get_reg, "_Ux86_64_get_reg"),
    TL_LIB_FUNCTION(from_libunwind.set_caching_policy, "_Ux86_64_set_caching_policy"),
};

static int init_libunwind(void)
{
    void *lib = tl_lib_open("libunwind-x86_64.so.8", unwind_functions,
                            sizeof unwind_functions / sizeof *unwind_functions);
    if (!lib) {
        tl_log_once(TL_ONCE_UNWIND, "libunwind-x86_64.so.8 not usable: blocked-at stacks "
                                    "are left out of dumps");
        return -1;
    }
    from_libunwind.set_cache_size =
        (__typeof__(from_libunwind.set_cache_size))dlsym(lib, "_Ux86_64_set_cache_size");
    unw_addr_space_t *local = dlsym(lib, "_Ux86_64_local_addr_space");
    if (!local)
        return -1;
    /* The local space's find_proc_info walks dl_iterate_phdr and reads the
     * tables through our access_mem: exactly what is wanted here. */
    unw_accessors_t acc = *from_libunwind.get_accessors(*local);
    acc.access_mem = access_mem;
    acc.access_reg = access_reg;
    acc.access_fpreg = access_fpreg;
    acc.resume = resume;
    acc.get_proc_name = get_proc_name;
    space = from_libunwind.create_addr_space(&acc, 0);
    if (!space)
        return -1;
    from_libunwind.set_caching_policy(space, UNW_CACHE_GLOBAL);
    if (from_libunwind.set_cache_size)
        from_libunwind.set_cache_size(space, 4096, 0);
    return 0;
}

/* Called by the sampler before a batch of unwinds: objects may have been
 * loaded or unloaded since the last one. */
TL_HIDDEN void tl_unwind_refresh(void)
{
    if (space && !unreadable[0])
        probe();
    n_segments = 0;
    dl_iterate_phdr(add_segments, NULL);
    qsort(segments, (size_t)n_segments, sizeof *segments, by_start);
}

static int unwind(const struct tl_regs *r, const struct tl_stack_copy *copy, uint64_t *ips, int max)
{
    struct unwind_arg arg = {.regs = r, .copy = copy};
    unw_cursor_t c;
    if (from_libunwind.init_remote(&c, space, &arg) < 0)
        return 0;
    int depth = 0;
    for (int steps = 0; depth < max && steps < max + 16; steps++) {
        unw_word_t ip = 0;
        if (from_libunwind.get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        if (!tl_ip_is_ours(ip))
            ips[depth++] = ip;
        if (from_libunwind.step(&c) <= 0)
            break;
    }
    return depth;
}

struct unwind_job {
    const struct tl_regs *regs;
    const struct tl_stack_copy *copy;
    uint64_t *ips;
    int max, depth;
};

/* Runs inside dl_iterate_phdr, which holds the loader's list lock: no
 * object can be unloaded while its tables are read in place. The segment
 * table is rebuilt first if an object came or went since it was made. */
static int unwind_locked(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct unwind_job *j = data;
    if (info->dlpi_adds != built_adds || info->dlpi_subs != built_subs)
        tl_unwind_refresh();
    j->depth = unwind(j->regs, j->copy, j->ips, j->max);
    return 1;
}

TL_HIDDEN int tl_unwind_blocked(const struct tl_regs *r, uint64_t *ips, int max)
{
    return tl_unwind_copy(r, NULL, ips, max);
}

TL_HIDDEN int tl_unwind_copy(const struct tl_regs *r, const struct tl_stack_copy *copy,
                             uint64_t *ips, int max)
{
    if (!space || unreadable[0])
        return 0;
    struct unwind_job j = {r, copy, ips, max, 0};
    dl_iterate_phdr(unwind_locked, &j);
    return j.depth;
}
