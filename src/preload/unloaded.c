/* dlclose: the module's path, load address, segments and build id are
 * copied before the real dlclose runs, and kept when it really went away
 * (a dlclose that only drops a reference keeps the module). dlclose is
 * rare and never on a hot path: a lock and two walks of the loader's list
 * are fine here. Modules the loader unloads by itself (glibc's internal
 * dlclose of NSS or iconv modules) are not seen. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#include "preload/registry.h"
#include "preload/unloaded.h"

/* The last TL_UNLOADED_MAX unloads, a ring indexed by epoch: a program
 * that reloads plugins forever overwrites the oldest (its stacks of long
 * ago may then be named from the module now at that address). */
static struct tl_unloaded gone[TL_UNLOADED_MAX];
static uint32_t n_gone; /* also the epoch: each unload adds one */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

TL_HIDDEN uint32_t tl_unload_epoch(void)
{
    return __atomic_load_n(&n_gone, __ATOMIC_ACQUIRE);
}

TL_HIDDEN const struct tl_unloaded *tl_unloaded_find(uint64_t ip, uint32_t captured_epoch)
{
    uint32_t n = tl_unload_epoch();
    uint32_t e = n - captured_epoch > TL_UNLOADED_MAX ? n - TL_UNLOADED_MAX : captured_epoch;
    for (; e < n; e++) {
        const struct tl_unloaded *u = &gone[e % TL_UNLOADED_MAX];
        for (int r = 0; r < u->n_ranges && r < 8; r++)
            if (ip >= u->ranges[r].lo && ip < u->ranges[r].hi)
                return u;
    }
    return NULL;
}

TL_HIDDEN int tl_unloaded_index(const struct tl_unloaded *u)
{
    return (int)(u - gone);
}

struct probe {
    uint64_t bias;
    const char *name;
    struct tl_unloaded *out;
    int found;
};

static void copy_build_id(struct tl_unloaded *u, const ElfW(Phdr) * ph, uint64_t bias)
{
    const char *p = (const char *)(uintptr_t)(bias + ph->p_vaddr), *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        const char *name = p + sizeof *nh;
        const unsigned char *desc = (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            nh->n_descsz <= sizeof u->build_id && (const char *)desc + nh->n_descsz <= end) {
            memcpy(u->build_id, desc, nh->n_descsz);
            u->build_id_len = (int)nh->n_descsz;
            return;
        }
        p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
    }
}

static int find_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct probe *pr = data;
    if (info->dlpi_addr != pr->bias || !info->dlpi_name || strcmp(info->dlpi_name, pr->name) != 0)
        return 0;
    pr->found = 1;
    struct tl_unloaded *u = pr->out;
    if (!u)
        return 1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && u->n_ranges < (int)(sizeof u->ranges / sizeof u->ranges[0])) {
            u->ranges[u->n_ranges].lo = info->dlpi_addr + ph->p_vaddr;
            u->ranges[u->n_ranges].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            u->n_ranges++;
        } else if (ph->p_type == PT_NOTE && !u->build_id_len) {
            copy_build_id(u, ph, info->dlpi_addr);
        }
    }
    return 1;
}

/* What to keep of the module behind handle; 0 when there is something. */
static int describe(void *handle, struct tl_unloaded *u)
{
    struct link_map *lm = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name || !lm->l_name[0] ||
        strlen(lm->l_name) >= sizeof u->path)
        return -1;
    memset(u, 0, sizeof *u);
    u->bias = lm->l_addr;
    strcpy(u->path, lm->l_name);
    struct probe pr = {u->bias, u->path, u, 0};
    dl_iterate_phdr(find_module, &pr);
    return pr.found && u->n_ranges ? 0 : -1;
}

static void keep_if_gone(const struct tl_unloaded *u)
{
    struct probe pr = {u->bias, u->path, NULL, 0};
    dl_iterate_phdr(find_module, &pr);
    if (pr.found)
        return; /* another reference keeps it loaded */
    tl_real.pthread_mutex_lock(&lock);
    uint32_t n = n_gone;
    gone[n % TL_UNLOADED_MAX] = *u; /* path[] ends in 0 throughout the copy */
    gone[n % TL_UNLOADED_MAX].epoch = n + 1;
    __atomic_store_n(&n_gone, n + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
}

TL_EXPORT int dlclose(void *handle)
{
    tl_real_ensure();
    struct tl_unloaded u;
    int saved = errno;
    /* dlfcn.h declares handle nonnull; a NULL one must still reach the
     * real dlclose (and fail there, as it would without us). */
    void *volatile h = handle;
    int have = h && tl_enabled && !tl_busy && !tl_exiting && describe(handle, &u) == 0;
    errno = saved;
    int rc = tl_real.dlclose(handle);
    if (rc == 0 && have) {
        saved = errno;
        keep_if_gone(&u);
        errno = saved;
    }
    return rc;
}
