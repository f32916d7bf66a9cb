/* What a thread's descriptor is, as lsof or ss would say it: the link in
 * /proc/self/task/TID/fd ("/path", "pipe:[1234]"), and for a socket its
 * protocol and addresses from /proc/self/net ("socket:[5678] tcp
 * 127.0.0.1:8080 listening"). Dump builder only. */
#ifndef THREADLEAK_FD_DESCRIBE_H
#define THREADLEAK_FD_DESCRIBE_H

#include <stdint.h>
#include <sys/types.h>

#include "preload/visibility.h"

struct tl_sockets;

/* malloc'd, or NULL when the descriptor cannot be read. *sockets is
 * loaded at the first socket met and kept for the caller's next calls. */
TL_HIDDEN char *tl_fd_describe(pid_t tid, uint64_t fd, struct tl_sockets **sockets);
TL_HIDDEN void tl_sockets_free(struct tl_sockets *s);

#endif
