/* The JSON dump, for tools: the "threadleak-dump" object of docs/formats.md. */
#include <string.h>

#include "common/model.h"

static void write_hex_or_null(FILE *out, uint64_t v)
{
    if (v)
        fprintf(out, "\"0x%llx\"", (unsigned long long)v);
    else
        fputs("null", out);
}

static void write_tids(FILE *out, const pid_t *tids, int n)
{
    fputc('[', out);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%d", i ? "," : "", (int)tids[i]);
    fputc(']', out);
}

/* Beside "object", which stays the raw value tools key on: the
 * descriptor in decimal and what it is, or the child waited for in
 * waitpid's terms (-1: any). */
static void write_object_extras(FILE *out, int wait, const char *call, uint64_t object,
                                const char *target)
{
    if (tl_wait_object_is_fd(wait, call)) {
        fprintf(out, ",\"fd\":%d,\"fd_target\":", (int)object);
        tl_write_json_string(out, target);
    } else if (wait == TL_WAIT_CHILD) {
        fprintf(out, ",\"child\":%lld", object ? (long long)(int64_t)object : -1ll);
    }
}

int tl_write_group_json(FILE *out, const tl_group *g)
{
    fprintf(out, "{\"count\":%d,\"state\":\"%s\",\"wait\":", g->count, tl_state_name(g->state));
    tl_write_json_string(out, tl_wait_name(g->wait));
    fputs(",\"wait_call\":", out);
    tl_write_json_string(out, g->wait_call);
    fputs(",\"object\":", out);
    write_hex_or_null(out, g->objects <= 1 ? g->object : 0);
    if (g->state == TL_BLOCKED && g->objects == 1)
        write_object_extras(out, g->wait, g->wait_call, g->object, g->target);
    fprintf(out, ",\"objects\":%d,\"blocked_ns\":", g->objects);
    if (g->state == TL_BLOCKED && !(g->unknown & TL_UNKNOWN_BLOCKED_NS))
        fprintf(out, "{\"min\":%llu,\"max\":%llu}", (unsigned long long)g->blocked_min_ns,
                (unsigned long long)g->blocked_max_ns);
    else
        fputs("null", out);
    fputs(",\"stack\":", out);
    tl_write_stack_json(out, &g->stack);
    if (g->unknown & TL_UNKNOWN_SPAWN && !g->has_main) {
        fputs(",\"spawn_stack\":null,\"creator_tids\":null", out);
    } else {
        fputs(",\"spawn_stack\":", out);
        tl_write_stack_json(out, &g->spawn_stack);
        fputs(",\"creator_tids\":", out);
        write_tids(out, g->creator_tids, g->n_creators);
    }
    fputs(",\"creator_name\":", out);
    tl_write_json_string(out, g->creator_name);
    fputs(",\"tids\":", out);
    write_tids(out, g->tids, g->n_tids);
    if (g->names) {
        fputs(",\"thread_names\":[", out);
        for (int i = 0; i < g->n_tids; i++) {
            char name[sizeof(tl_name)];
            snprintf(name, sizeof name, "%s", g->names[i]);
            if (i)
                fputc(',', out);
            tl_write_json_string(out, name);
        }
        fputc(']', out);
    }
    if (g->name) {
        fputs(",\"name\":", out);
        tl_write_json_string(out, g->name);
    }
    if (g->growth >= 0)
        fprintf(out, ",\"growth\":%ld", g->growth);
    if (g->owner.known) {
        fputs(",\"owner\":", out);
        tl_write_owner_json(out, &g->owner);
    }
    if (g->n_owners > 0) {
        fputs(",\"owners\":[", out);
        for (int i = 0; i < g->n_owners; i++) {
            if (i)
                fputc(',', out);
            tl_write_owner_json(out, &g->owners[i]);
        }
        fprintf(out, "],\"more_owners\":%d", g->more_owners);
    }
    tl_write_capture_json(out, g->capture, g->capture_syscall, &g->current_stack);
    fputc('}', out);
    return ferror(out) ? -1 : 0;
}

static void write_thread_json(FILE *out, const tl_thread *t)
{
    fprintf(out, "{\"tid\":%d,\"name\":", (int)t->tid);
    tl_write_json_string(out, t->name);
    fprintf(out, ",\"state\":\"%s\",\"wait\":", tl_state_name(t->state));
    tl_write_json_string(out, tl_wait_name(t->wait));
    fputs(",\"wait_call\":", out);
    tl_write_json_string(out, t->wait_call);
    fputs(",\"object\":", out);
    write_hex_or_null(out, t->object);
    if (t->state == TL_BLOCKED)
        write_object_extras(out, t->wait, t->wait_call, t->object, t->target);
    fputs(",\"blocked_ns\":", out);
    if (t->state == TL_BLOCKED && !(t->unknown & TL_UNKNOWN_BLOCKED_NS))
        fprintf(out, "%llu", (unsigned long long)t->blocked_ns);
    else
        fputs("null", out);
    if (t->unknown & TL_UNKNOWN_SPAWN) {
        fputs(",\"creator_tid\":null,\"creator_name\":null", out);
    } else {
        fprintf(out, ",\"creator_tid\":%d,\"creator_name\":", (int)t->creator_tid);
        tl_write_json_string(out, t->creator_name[0] ? t->creator_name : NULL);
    }
    fputs(",\"stack\":", out);
    tl_write_stack_json(out, &t->stack);
    fputs(",\"spawn_stack\":", out);
    if (t->unknown & TL_UNKNOWN_SPAWN)
        fputs("null", out);
    else
        tl_write_stack_json(out, &t->spawn_stack);
    if (t->owner.known) {
        fputs(",\"owner\":", out);
        tl_write_owner_json(out, &t->owner);
    }
    tl_write_capture_json(out, t->capture, t->capture_syscall, &t->current_stack);
    fputc('}', out);
}

int tl_write_json(FILE *out, const tl_dump *d)
{
    const tl_counts *c = &d->counts;
    fprintf(out, "{\"format\":\"threadleak-dump\",\"version\":1,\"pid\":%d,\"program\":", d->pid);
    tl_write_json_string(out, d->program);
    fprintf(out, ",\"dump\":%d,\"reason\":", d->number);
    tl_write_json_string(out, d->reason);
    int ptrace = d->source && strcmp(d->source, "ptrace") == 0;
    int mixed = d->source && strcmp(d->source, "preload+ptrace") == 0;
    fprintf(out, ",\"time_unix_ns\":%llu,\"source\":\"%s\"", (unsigned long long)d->time_unix_ns,
            ptrace  ? "ptrace"
            : mixed ? "preload+ptrace"
                    : "preload");
    if (ptrace || mixed)
        fprintf(out, ",\"pause\":{\"threads\":%ld,\"ns\":%llu,\"late\":%ld,\"not_stopped\":%ld}",
                d->paused_threads, (unsigned long long)d->pause_ns, d->pause_late, d->pause_free);
    if (ptrace)
        fputs(",\"unknown\":[\"spawn_stack\",\"creator_tids\",\"blocked_ns\",\"exited_unjoined\","
              "\"created\",\"joined\",\"detached\"]",
              out);
    fprintf(out, ",\"counts\":{\"live\":%ld,\"running\":%ld,\"blocked\":%ld,", c->live, c->running,
            c->blocked);
    if (c->unknown & TL_UNKNOWN_LIFECYCLE)
        fputs("\"exited_unjoined\":null,\"created\":null,\"joined\":null,\"detached\":null,", out);
    else
        fprintf(out, "\"exited_unjoined\":%ld,\"created\":%ld,\"joined\":%ld,\"detached\":%ld,",
                c->exited_unjoined, c->created, c->joined, c->detached);
    fputs("\"by_wait\":{", out);
    int first = 1;
    for (int w = 1; w < TL_WAIT_COUNT; w++) {
        if (!c->by_wait[w])
            continue;
        fprintf(out, "%s\"%s\":%ld", first ? "" : ",", tl_wait_name(w), c->by_wait[w]);
        first = 0;
    }
    fputs("}},", out);
    if (d->stacks_unknown) {
        fputs("\"stacks_unknown\":", out);
        tl_write_json_string(out, d->stacks_unknown);
        fputs(",", out);
    }
    tl_write_running_json(out, d);
    fputs("\n\"groups\":[", out);
    for (int i = 0; i < d->n_groups; i++) {
        fputs(i ? ",\n" : "\n", out);
        tl_write_group_json(out, &d->groups[i]);
    }
    fputs("]", out);
    tl_write_deadlocks_json(out, d);
    if (d->n_threads >= 0) {
        fputs(",\n\"threads\":[", out);
        for (int i = 0; i < d->n_threads; i++) {
            fputs(i ? ",\n" : "\n", out);
            write_thread_json(out, &d->threads[i]);
        }
        fputs("]", out);
    }
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}
