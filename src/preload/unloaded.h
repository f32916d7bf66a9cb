/* Modules that were dlclose'd: what is needed to name their code later,
 * recorded while they were still loaded (the dlclose wrapper). Stacks
 * carry the unload epoch they were captured in; an address of a stack
 * captured before a module went is looked up in that module, even when
 * another module has since been loaded at the same address. */
#ifndef THREADLEAK_UNLOADED_H
#define THREADLEAK_UNLOADED_H

#include <stdint.h>

#include "preload/visibility.h"

#define TL_UNLOADED_MAX 256

struct tl_unloaded {
    uint64_t bias; /* load address: file address + bias = memory address */
    struct {
        uint64_t lo, hi;
    } ranges[8]; /* its loaded segments */
    int n_ranges;
    uint32_t epoch; /* the unload epoch it ended */
    int build_id_len;
    unsigned char build_id[32];
    char path[512];
};

/* How many modules have been unloaded so far (every stack records it). */
TL_HIDDEN uint32_t tl_unload_epoch(void);
/* The module a stack of captured_epoch had at ip, when it has been
 * unloaded since; NULL when ip is to be looked up in the modules now. */
TL_HIDDEN const struct tl_unloaded *tl_unloaded_find(uint64_t ip, uint32_t captured_epoch);
/* For the symbolizer's caches: the index of u. */
TL_HIDDEN int tl_unloaded_index(const struct tl_unloaded *u);

#endif
