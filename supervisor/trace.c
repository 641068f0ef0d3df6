/*
 * trace.c — the run's event log: JSON lines in RUN_DIR/trace.jsonl, and the
 * hash that stands for the whole run (same seed ⇒ same hash).
 *
 * Only simulated facts go in: virtual time, node, virtual pid/tid, sizes.
 * Never real pids, wall-clock times or addresses of the supervisor's
 * memory, which would make the hash differ between identical runs.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "sup.h"

struct sup_trace {
	FILE *f;
	XXH3_state_t *h;
	uint64_t events;
};

struct sup_trace *sup_trace_open(const char *path)
{
	struct sup_trace *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->f = fopen(path, "we");
	t->h = XXH3_createState();
	if (!t->f || !t->h || XXH3_128bits_reset(t->h) != XXH_OK) {
		if (t->f)
			fclose(t->f);
		XXH3_freeState(t->h);
		free(t);
		return NULL;
	}
	return t;
}

/* ---- rendering ----
 *
 * json-c builds an object per line (a hash table and a string each, all
 * malloc'd): a few microseconds per relay delivery.  The direct path
 * writes the same bytes itself for what needs no escaping (keys are ours,
 * numbers are digits) and leaves every string with a character json-c
 * escapes (control characters, '"', '\\', '/', anything past '~') to
 * json-c, so the two agree byte for byte (tests/unit/test_trace.c). */

static size_t render_json_c(const struct sup_trace_field *f, int n, char *out, size_t cap)
{
	json_object *o = json_object_new_object();
	for (int k = 0; k < n; k++) {
		json_object *v = f[k].kind == 'i'   ? json_object_new_int64(f[k].i)
				 : f[k].kind == 'u' ? json_object_new_uint64(f[k].u)
						    : json_object_new_string(f[k].s ? f[k].s : "");
		json_object_object_add(o, f[k].key, v);
	}
	size_t len;
	const char *line = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	size_t r = len < cap ? len : 0;
	if (r)
		memcpy(out, line, len);
	json_object_put(o);
	return r;
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\' ||
		    *s == '/')
			return false;
	return true;
}

struct out {
	char *p, *end;
};

static bool put(struct out *o, const char *s, size_t n)
{
	if ((size_t)(o->end - o->p) < n)
		return false;
	memcpy(o->p, s, n);
	o->p += n;
	return true;
}

static bool put_quoted(struct out *o, const char *s)
{
	return put(o, "\"", 1) && put(o, s, strlen(s)) && put(o, "\"", 1);
}

static bool put_u64(struct out *o, uint64_t v, bool neg)
{
	char tmp[24];
	int n = 0;
	do
		tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
	while ((v /= 10));
	if (neg)
		tmp[sizeof tmp - ++n] = '-';
	return put(o, tmp + sizeof tmp - n, (size_t)n);
}

size_t sup_trace_render(const struct sup_trace_field *f, int n, bool json_c, char *out, size_t cap)
{
	if (json_c)
		return render_json_c(f, n, out, cap);
	for (int k = 0; k < n; k++) {
		if (!plain(f[k].key) || (f[k].kind == 's' && f[k].s && !plain(f[k].s)))
			return render_json_c(f, n, out, cap);
		for (int j = 0; j < k; j++)
			if (!strcmp(f[j].key, f[k].key)) /* json-c keeps the first place, the last value */
				return render_json_c(f, n, out, cap);
	}
	struct out o = { out, out + cap };
	bool ok = put(&o, "{", 1);
	for (int k = 0; ok && k < n; k++) {
		ok = (!k || put(&o, ",", 1)) && put_quoted(&o, f[k].key) && put(&o, ":", 1);
		if (!ok)
			break;
		if (f[k].kind == 'i')
			ok = put_u64(&o, f[k].i < 0 ? -(uint64_t)f[k].i : (uint64_t)f[k].i, f[k].i < 0);
		else if (f[k].kind == 'u')
			ok = put_u64(&o, f[k].u, false);
		else
			ok = put_quoted(&o, f[k].s ? f[k].s : "");
	}
	ok = ok && put(&o, "}", 1);
	return ok && o.p < o.end ? (size_t)(o.p - out) : 0;
}

#define MAX_FIELDS 24

void sup_trace_ev(struct sup_run *R, const struct sup_proc *p, int vtid, const char *kind,
		  const char *fmt, ...)
{
	struct sup_trace *t = R->trace;
	if (!t)
		return;
	struct sup_trace_field f[MAX_FIELDS];
	int n = 0;
	char nb[16];
	f[n++] = (struct sup_trace_field){ .key = "t", .kind = 'i', .i = R->now };
	if (p) {
		f[n++] = (struct sup_trace_field){ .key = "node", .kind = 's',
						   .s = sup_node_name(R, p->node, nb, sizeof nb) };
		f[n++] = (struct sup_trace_field){ .key = "pid", .kind = 'i', .i = p->vpid };
	}
	if (vtid)
		f[n++] = (struct sup_trace_field){ .key = "tid", .kind = 'i', .i = vtid };
	f[n++] = (struct sup_trace_field){ .key = "ev", .kind = 's', .s = kind };
	va_list ap;
	va_start(ap, fmt);
	for (const char *c = fmt; c && *c && n < MAX_FIELDS; c++) {
		struct sup_trace_field *x = &f[n];
		x->key = va_arg(ap, const char *);
		x->kind = *c;
		switch (*c) {
		case 'i': x->i = va_arg(ap, int64_t); n++; break;
		case 'u': x->u = va_arg(ap, uint64_t); n++; break;
		case 's': x->s = va_arg(ap, const char *); n++; break;
		}
	}
	va_end(ap);
	char small[1024];
	size_t len = sup_trace_render(f, n, false, small, sizeof small);
	char *line = small;
	if (!len) { /* a long note: as long as it takes */
		size_t cap = sizeof small;
		line = NULL;
		while (!len && cap < (1u << 26)) {
			cap *= 4;
			char *bigger = realloc(line, cap);
			if (!bigger)
				break;
			line = bigger;
			len = sup_trace_render(f, n, false, line, cap);
		}
		if (!len) {
			free(line);
			return;
		}
	}
	fwrite(line, 1, len, t->f);
	fputc('\n', t->f);
	XXH3_128bits_update(t->h, line, len);
	XXH3_128bits_update(t->h, "\n", 1);
	t->events++;
	if (line != small)
		free(line);
}

void sup_trace_close(struct sup_trace *t, char hash[33])
{
	hash[0] = 0;
	if (!t)
		return;
	XXH128_hash_t h = XXH3_128bits_digest(t->h);
	snprintf(hash, 33, "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
	fclose(t->f);
	XXH3_freeState(t->h);
	free(t);
}
