/* Lock owners and deadlock cycles in the JSON dump. */
#include "common/model.h"

static void write_frame_or_null(FILE *out, const tl_frame *f)
{
    if (f->ip)
        tl_write_frame_json(out, f);
    else
        fputs("null", out);
}

const char *tl_owner_flag_name(int bit)
{
    switch (bit) {
    case TL_OWNER_GONE:
        return "exited";
    case TL_OWNER_DIED:
        return "owner_died";
    case TL_OWNER_UNUSABLE:
        return "not_recoverable";
    case TL_OWNER_READERS:
        return "readers";
    case TL_OWNER_UNKNOWN:
        return "unreadable";
    case TL_OWNER_FOREIGN:
        return "other_process";
    case TL_OWNER_UNTRACKED:
        return "untracked";
    default:
        return NULL; /* internal, not shown */
    }
}

static void write_flags(FILE *out, int flags)
{
    fputc('[', out);
    int first = 1;
    for (int bit = 1; bit <= TL_OWNER_NO_SELF_WAIT; bit <<= 1) {
        const char *name = tl_owner_flag_name(bit);
        if (!(flags & bit) || !name)
            continue;
        fprintf(out, "%s\"%s\"", first ? "" : ",", name);
        first = 0;
    }
    fputc(']', out);
}

void tl_write_owner_json(FILE *out, const tl_owner *o)
{
    if (!o->known) {
        fputs("null", out);
        return;
    }
    fputc('{', out);
    if (o->tid > 0) {
        fprintf(out, "\"tid\":%d,\"name\":", (int)o->tid);
        tl_write_json_string(out, o->name[0] ? o->name : NULL);
        fprintf(out, ",\"state\":\"%s\",\"wait\":", tl_state_name(o->state));
        tl_write_json_string(out, o->state == TL_BLOCKED ? tl_wait_name(o->wait) : NULL);
        fputs(",\"wait_call\":", out);
        tl_write_json_string(out, o->state == TL_BLOCKED ? o->wait_call : NULL);
        if (o->state == TL_BLOCKED && o->object)
            fprintf(out, ",\"object\":\"0x%llx\"", (unsigned long long)o->object);
        else
            fputs(",\"object\":null", out);
        fputs(",\"group\":", out);
        if (o->group >= 0)
            fprintf(out, "%d", o->group);
        else
            fputs("null", out);
        fputs(",\"at\":", out);
        write_frame_or_null(out, &o->at);
        fputs(",\"created_at\":", out);
        write_frame_or_null(out, &o->created);
    } else {
        fputs("\"tid\":null", out);
    }
    if (o->mutex)
        fprintf(out, ",\"mutex\":\"0x%llx\"", (unsigned long long)o->mutex);
    if (o->flags & TL_OWNER_READERS)
        fprintf(out, ",\"readers\":%d", o->readers);
    fputs(",\"flags\":", out);
    write_flags(out, o->flags);
    fputc('}', out);
}

void tl_write_deadlocks_json(FILE *out, const tl_dump *d)
{
    fputs(",\n\"deadlocks\":[", out);
    for (int i = 0; i < d->n_deadlocks; i++) {
        const tl_deadlock *c = &d->deadlocks[i];
        fputs(i ? ",\n{\"threads\":[" : "\n{\"threads\":[", out);
        for (int k = 0; k < c->n; k++) {
            const tl_cycle_thread *t = &c->threads[k];
            fprintf(out, "%s{\"tid\":%d,\"name\":", k ? "," : "", (int)t->tid);
            tl_write_json_string(out, t->name);
            fputs(",\"wait\":", out);
            tl_write_json_string(out, tl_wait_name(t->wait));
            fputs(",\"wait_call\":", out);
            tl_write_json_string(out, t->wait_call);
            fprintf(out, ",\"object\":\"0x%llx\",\"owner_tid\":%d,\"stack\":",
                    (unsigned long long)t->object, (int)t->owner_tid);
            tl_write_stack_json(out, &t->stack);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputc(']', out);
}
