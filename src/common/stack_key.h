/* Stacks that differ only in addresses, not in source, group together. */
#ifndef THREADLEAK_STACK_KEY_H
#define THREADLEAK_STACK_KEY_H

#include "common/model.h"

/* Function, file and line of each frame; function and offset where there
 * is no line, the address where there is not even a function. malloc'd,
 * NULL when out of memory. */
char *tl_stack_source_key(const tl_stack *st);

#endif
