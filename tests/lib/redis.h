/* redis-server, for the tests that serve load while being dumped or
 * attached to (test_hosts, test_attach). */
#ifndef TLT_REDIS_H
#define TLT_REDIS_H

#include <stddef.h>
#include <sys/types.h>

/* Debian's redis-tools ships the server as redis-check-rdb, which serves
 * when argv[0] says redis-server; the package redis-server only adds a
 * system service, which make check has no business starting. NULL when
 * missing (or redis-benchmark or redis-cli is). Static storage. */
const char *tlt_redis_server_path(void);
/* redis-cli ping answers PONG. */
int tlt_redis_ping(int port);
/* Starts redis-server (4 io-threads) on 127.0.0.1:port in dir, preloaded
 * or not, with `extra` environment; returns once it answers (fails the
 * test otherwise). */
pid_t tlt_redis_start(const char *server_path, int port, const char *dir, const char *const *extra,
                      int preload);
/* redis-cli shutdown nosave; the server's wait status (-1: it did not end
 * within 10 s, and was killed). */
int tlt_redis_stop(pid_t srv, int port, const char *dir);
/* The "requests per second" lines of redis-benchmark's output, each
 * followed by "; ", into summary (for the figures). */
void tlt_redis_rates(const char *benchmark_out, char *summary, size_t size);

#endif
