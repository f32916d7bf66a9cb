/* Interned stacks: a lock-free open-addressing set over an append-only
 * arena, so a creating thread never takes a lock and a reader never sees
 * a record move or disappear. A stack is its addresses and the unload
 * epoch it was captured in (unloaded.c): the same addresses before and
 * after a dlclose may be two different modules' code. */
#include <string.h>
#include <sys/mman.h>

#include "preload/stacks.h"
#include "preload/unloaded.h"

#define TL_ARENA_BYTES (64u << 20)
#define TL_TABLE_SIZE (1u << 18)
#define TL_MAX_PROBES 64

struct record {
    uint32_t hash;
    uint32_t depth;
    uint32_t epoch;
    uint32_t unused;
    uint64_t ips[];
};

static char *arena;
static uint32_t arena_used; /* in 8-byte units; 0 is never a record */
static uint32_t *table;

static int ensure_mapped(void)
{
    if (arena)
        return 0;
    void *a = mmap(NULL, TL_ARENA_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *t = mmap(NULL, TL_TABLE_SIZE * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED || t == MAP_FAILED)
        return -1;
    table = t;
    arena_used = 1;
    __atomic_store_n(&arena, (char *)a, __ATOMIC_RELEASE);
    return 0;
}

static uint32_t hash_ips(const uint64_t *ips, int depth, uint32_t epoch)
{
    uint64_t h = 1469598103934665603ull ^ epoch;
    for (int i = 0; i < depth; i++) {
        h ^= ips[i];
        h *= 1099511628211ull;
    }
    return (uint32_t)(h ^ (h >> 32)) | 1;
}

static struct record *record_at(uint32_t id)
{
    return (struct record *)(arena + (size_t)id * 8);
}

static int same(const struct record *r, uint32_t hash, const uint64_t *ips, int depth,
                uint32_t epoch)
{
    return r->hash == hash && r->depth == (uint32_t)depth && r->epoch == epoch &&
           memcmp(r->ips, ips, (size_t)depth * sizeof *ips) == 0;
}

static uint32_t store(uint32_t hash, const uint64_t *ips, int depth, uint32_t epoch)
{
    uint32_t units = 2 + (uint32_t)depth;
    uint32_t id = __atomic_fetch_add(&arena_used, units, __ATOMIC_RELAXED);
    if ((size_t)(id + units) * 8 > TL_ARENA_BYTES)
        return 0;
    struct record *r = record_at(id);
    r->hash = hash;
    r->depth = (uint32_t)depth;
    r->epoch = epoch;
    memcpy(r->ips, ips, (size_t)depth * sizeof *ips);
    return id;
}

TL_HIDDEN uint32_t tl_intern(const uint64_t *ips, int depth)
{
    if (depth <= 0 || !__atomic_load_n(&arena, __ATOMIC_ACQUIRE))
        return 0;
    uint32_t epoch = tl_unload_epoch();
    uint32_t hash = hash_ips(ips, depth, epoch), fresh = 0;
    for (uint32_t i = 0; i < TL_MAX_PROBES; i++) {
        uint32_t *cell = &table[(hash + i) & (TL_TABLE_SIZE - 1)];
        uint32_t cur = __atomic_load_n(cell, __ATOMIC_ACQUIRE);
        if (cur == 0) {
            if (!fresh && !(fresh = store(hash, ips, depth, epoch)))
                return 0;
            if (__atomic_compare_exchange_n(cell, &cur, fresh, 0, __ATOMIC_RELEASE,
                                            __ATOMIC_ACQUIRE))
                return fresh;
        }
        if (same(record_at(cur), hash, ips, depth, epoch))
            return cur; /* a record stored for a lost race stays unused */
    }
    return 0;
}

TL_HIDDEN int tl_stack_get(uint32_t id, const uint64_t **ips, uint32_t *epoch)
{
    if (!id || !arena) {
        *ips = NULL;
        *epoch = 0;
        return 0;
    }
    struct record *r = record_at(id);
    *ips = r->ips;
    *epoch = r->epoch;
    return (int)r->depth;
}

TL_HIDDEN int tl_intern_init(void)
{
    return ensure_mapped();
}
