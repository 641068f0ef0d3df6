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

void sup_trace_ev(struct sup_run *R, const struct sup_proc *p, int vtid, const char *kind,
		  const char *fmt, ...)
{
	struct sup_trace *t = R->trace;
	if (!t)
		return;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_int64(R->now));
	if (p) {
		char nb[16];
		json_object_object_add(o, "node",
				       json_object_new_string(sup_node_name(R, p->node, nb, sizeof nb)));
		json_object_object_add(o, "pid", json_object_new_int(p->vpid));
	}
	if (vtid)
		json_object_object_add(o, "tid", json_object_new_int(vtid));
	json_object_object_add(o, "ev", json_object_new_string(kind));
	va_list ap;
	va_start(ap, fmt);
	for (const char *f = fmt; f && *f; f++) {
		const char *key = va_arg(ap, const char *);
		switch (*f) {
		case 'i':
			json_object_object_add(o, key, json_object_new_int64(va_arg(ap, int64_t)));
			break;
		case 'u':
			json_object_object_add(o, key, json_object_new_uint64(va_arg(ap, uint64_t)));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			json_object_object_add(o, key, json_object_new_string(s ? s : ""));
			break;
		}
		}
	}
	va_end(ap);
	size_t len;
	const char *line = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	fwrite(line, 1, len, t->f);
	fputc('\n', t->f);
	XXH3_128bits_update(t->h, line, len);
	XXH3_128bits_update(t->h, "\n", 1);
	t->events++;
	json_object_put(o);
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
