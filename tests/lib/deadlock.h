/* Expectations on the owners and deadlock cycles of a dump (p->json and
 * p->text), whoever took it: the library or `threadleak dump PID`. */
#ifndef TLT_DEADLOCK_H
#define TLT_DEADLOCK_H

#include "lib/tlt.h"

/* The threads of the dump's only deadlock, which has n_threads of them. */
json_t *tlt_only_deadlock(tlt_proc *p, size_t n_threads);
/* 1 when the owner's "flags" has flag. */
int tlt_owner_has_flag(json_t *owner, const char *flag);
/* Each thread's owner is the next one's tid, and each waits in `wait` on
 * one of the objects given (NULL: not checked), at frame #0 `fn`. */
void tlt_expect_cycle(tlt_proc *p, json_t *threads, const char *wait, const char *const *objs,
                      const char *fn);
/* No deadlock in the JSON nor in the text. */
void tlt_expect_no_deadlock(tlt_proc *p);

#endif
