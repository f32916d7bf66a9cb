/* Is the running thread's wait note live? Asked only when a wrapper finds
 * a note already there: a signal handler that runs during the wait (on the
 * thread's stack or an alternate one) must leave it alone, while a note
 * whose wait was left by siglongjmp must give way to the next wait.
 *
 * A live note's wrapper frame still holds its mark. The mark is read only
 * where it cannot fault: below the thread's stack top, at or above the
 * caller's stack pointer, or in a frame on the thread's own stack. */
#include "preload/wrap.h"

/* The mark may lie where a later frame has its redzones (ASan builds). */
TL_HIDDEN __attribute__((no_sanitize_address)) int tl_note_live(const struct tl_slot *s,
                                                                uint64_t sp)
{
    uint64_t note_sp = s->regs.sp, hi = s->stack_hi, mark = s->mark;
    int note_on_own_stack = hi && note_sp < hi;
    /* At or above the note's frame on the same stack: that frame has
     * returned. Above the top of the thread's stack: an alternate one. */
    if (sp >= note_sp && !(note_on_own_stack && sp >= hi))
        return 0;
    if (mark < note_sp || mark - note_sp > 65536 || (note_on_own_stack && mark >= hi))
        return 0;
    return *(const volatile uint64_t *)(uintptr_t)mark == tl_mark_of(s, s->seq);
}
