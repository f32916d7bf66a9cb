/* `threadleak run [options] -- PROGRAM [ARGS...]`: run, judge, tell, and
 * exit with the leak status or the program's own. */
#include <stdlib.h>

#include "cli/html.h"
#include "cli/run.h"

int tl_cmd_run(int argc, char **argv)
{
    tl_run_opts o;
    int p = tl_run_parse(argc, argv, &o);
    if (p) {
        if (p > 0)
            tl_usage(stdout);
        free(o.ignore);
        free(o.ignore_files);
        tl_forgive_free(&o.forgive);
        return p > 0 ? TL_EXIT_OK : TL_EXIT_USAGE;
    }
    tl_run_result r;
    int rc = tl_run_program(&o, &r);
    if (rc) {
        free(o.ignore);
        free(o.ignore_files);
        tl_forgive_free(&o.forgive);
        return rc;
    }
    tl_verdict v;
    tl_judge(&o, &r, &v);
    tl_verdict_print(stderr, &o, &r, &v);
    if (o.json_path && tl_verdict_write_json(o.json_path, &o, &r, &v))
        rc = TL_EXIT_FAIL;
    if (o.html_path && tl_html_run_write(o.html_path, &o, &r, &v))
        rc = TL_EXIT_FAIL;
    int status = v.leak ? o.exit_code : v.program_exit_code;
    if (!v.leak && v.unjudged && !status)
        status = TL_EXIT_UNJUDGED;
    if (rc && !v.leak)
        status = status ? status : rc;
    tl_verdict_free(&v);
    tl_series_free(&r.series);
    free(r.taken);
    free(r.seen);
    if (!o.out_dir && r.dir[0] && !r.dir_kept)
        tl_run_remove_dir(&r);
    free(o.ignore);
    free(o.ignore_files);
    tl_forgive_free(&o.forgive);
    return status;
}
