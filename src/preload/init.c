/* Start-up, exit and fork. Wrappers work before the constructor has run
 * (they resolve what they need on demand); the constructor adds what only
 * a quiet moment allows: loading libunwind and libdw, the sampler thread. */
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "preload/channel.h"
#include "preload/config.h"
#include "preload/counters_file.h"
#include "preload/dump.h"
#include "preload/guard.h"
#include "preload/log.h"
#include "preload/program.h"
#include "preload/registry.h"
#include "preload/sampler.h"
#include "preload/stacks.h"
#include "preload/symbolize.h"

static void warn_line(const char *line)
{
    tl_log(TL_LOG_WARN, "%s", line);
}

static void before_fork(void)
{
    tl_dump_lock();
    tl_stacks_fork_prepare();
}

static void after_fork_parent(void)
{
    tl_stacks_fork_parent();
    tl_dump_unlock();
}

static void after_fork_child(void)
{
    tl_stacks_after_fork_child();
    tl_dump_after_fork_child();
    tl_registry_after_fork_child();
    tl_dump_file_after_fork_child();
    tl_sampler_after_fork_child();
    tl_cfile_after_fork_child();
}

static void disable(const char *why)
{
    tl_enabled = 0;
    tl_log_once(TL_ONCE_DISABLED, "%s; threadleak is off, the program runs untouched", why);
}

__attribute__((constructor)) static void threadleak_init(void)
{
    tl_real_ensure();
    int was_busy = tl_busy_enter();
    tl_config_parse(&tl_config, (const char *(*)(const char *))getenv, warn_line,
                    getauxval(AT_SECURE) != 0);
    tl_log_level = tl_config.log_level;
    tl_program_init();
    if (tl_registry_init(tl_sampler_leader_exiting) != 0) {
        disable("cannot map the thread registry");
        tl_busy_leave(was_busy);
        return;
    }
    if (tl_stacks_init() != 0) {
        disable("cannot map the stack store");
        tl_busy_leave(was_busy);
        return;
    }
    tl_symbolize_init();
    tl_enabled = 1;
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    tl_busy_leave(was_busy);
    tl_adopt_self(); /* the main thread */
    was_busy = tl_busy_enter();
    tl_sampler_init();
    tl_log(TL_LOG_DEBUG, "active in pid %d (%s)", (int)getpid(), tl_program_name());
    tl_busy_leave(was_busy);
}

__attribute__((destructor)) static void threadleak_fini(void)
{
    if (!tl_enabled)
        return;
    tl_sampler_final_sample();
    tl_cfile_remove();
    if (tl_config.exit_dump && !tl_config.secure) {
        struct tl_dump_request req = {tl_config.output,         tl_config.formats,
                                      tl_config.detail_threads, "exit",
                                      tl_config.running_stacks, 0};
        tl_dump_write(&req);
    }
    tl_channel_remove();
}
