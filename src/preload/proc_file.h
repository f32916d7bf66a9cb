/* Small /proc files read whole (proc_file.c). */
#ifndef THREADLEAK_PROC_FILE_H
#define THREADLEAK_PROC_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "preload/visibility.h"

/* /proc/self/task/TID/<what>, as much as fits in buf, NUL-terminated;
 * 0, or -1 when it cannot be read or is empty. */
TL_HIDDEN int tl_task_file(pid_t tid, const char *what, char *buf, size_t size);
/* The same for any small /proc file. */
TL_HIDDEN int tl_proc_file(const char *path, char *buf, size_t size);

#endif
