/* System calls by number (syscalls.c). */
#ifndef THREADLEAK_SYSCALLS_H
#define THREADLEAK_SYSCALLS_H

#include <stdint.h>

#include "common/model.h"

/* The system call's name, "syscall 72" style when unknown (static buffer). */
const char *tl_syscall_name(long nr);
/* Its name, NULL when it is not one threads block in. */
const char *tl_syscall_known(long nr);
/* The wait kind of a thread blocked in it; TL_WAIT_NONE when none fits. */
int tl_syscall_wait(long nr);
/* Parses a /proc/PID/task/TID/syscall line: 0 ok. nr -1: not in a system
 * call ("running", or "-1 sp pc" for a thread blocked outside one). */
int tl_parse_proc_syscall(const char *line, long *nr, uint64_t args[6], uint64_t *sp, uint64_t *pc);

#endif
