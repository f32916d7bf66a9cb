/* threadleak, the command: dispatch to run, dump, report, diff. */
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        tl_usage(stderr);
        return TL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        tl_usage(stdout);
        return TL_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("threadleak %s\n", THREADLEAK_VERSION);
        return TL_EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return tl_cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "dump") == 0)
        return tl_cmd_dump(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return tl_cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "diff") == 0)
        return tl_cmd_diff(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return tl_cmd_serve(argc - 2, argv + 2);
    if (cmd[0] == '-')
        tl_msg("unknown option %s: the command comes first (run, dump, report, diff); see "
               "threadleak --help",
               cmd);
    else
        tl_msg("unknown command %s: use run, dump, report, diff or serve; see threadleak --help",
               cmd);
    return TL_EXIT_USAGE;
}
