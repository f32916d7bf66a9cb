/* Long runs of threadleak run, for make stress (THREADLEAK_STRESS=1); under
 * make check they are skipped. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

static void need_stress(void)
{
    const char *s = getenv("THREADLEAK_STRESS");
    if (!s || strcmp(s, "1") != 0)
        cr_skip_test("a long run: set THREADLEAK_STRESS=1 (make stress)");
}

static json_t *run_json(cli_result *r, const char *const *args)
{
    const char *argv[32] = {cli_threadleak(), "run", "--json", NULL};
    static char json[512];
    snprintf(json, sizeof json, "%s", cli_path(r, "v.json"));
    argv[3] = json;
    int n = 4;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    cli_exec(r, NULL, 0, argv, NULL);
    return cli_json(json);
}

Test(stress, slow_leak_one_a_second_for_a_minute, .timeout = 120)
{
    need_stress();
    cli_result *r = cli_new();
    const char *args[] = {"--", tlt_prog_path("cli_leak_slow"), "_exit", "60000", NULL};
    json_t *v = run_json(r, args);
    cr_assert(v, "%s", r->err);
    cr_expect_eq(r->status, 3, "%s", r->err);
    cr_expect(json_is_true(json_object_get(json_object_get(v, "growth"), "detected")), "%s",
              r->err);
    json_t *s = json_array_get(json_object_get(v, "suspects"), 0);
    json_t *f = json_array_get(json_object_get(s, "spawn_stack"), 0);
    cr_expect(f && strcmp(json_string_value(json_object_get(f, "function")), "open_session") == 0,
              "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(stress, a_minute_of_noisy_clean_work, .timeout = 120)
{
    need_stress();
    cli_result *r = cli_new();
    const char *args[] = {"--", tlt_prog_path("cli_clean"), "noisy", "60000", NULL};
    json_t *v = run_json(r, args);
    cr_assert(v, "%s", r->err);
    cr_expect_eq(r->status, 0, "%s", r->err);
    json_decref(v);
    cli_free(r);
}
