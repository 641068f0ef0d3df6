/*
 * timeline.h — --timeline FILE: the run as Chrome trace-event JSON, which
 * ui.perfetto.dev and chrome://tracing open.  One track group per simulated
 * process (its threads inside) and one per node; spans for each turn a
 * thread ran, for what it waited on between turns, for a node's up and down
 * times; an instant for each trace event; flows for network messages.
 *
 * During the run only turns are recorded (in memory, never in the trace:
 * the trace hash does not depend on --timeline); the file is built after
 * the run from those records and RUN_DIR/trace.jsonl.
 */
#ifndef SUP_TIMELINE_H
#define SUP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

struct sup_run;
struct sup_thread;

/* Starts recording R's turns.  0 | -ENOMEM. */
int sup_timeline_start(struct sup_run *R);
/* Records that t held the turn from virtual time start until now and then
 * parked in t->state.  Does nothing unless recording. */
void sup_timeline_turn(struct sup_run *R, const struct sup_thread *t, int64_t start);
/* Writes the JSON to out from the records and the trace at trace_path.
 * 0 | -1 with err set. */
int sup_timeline_write(struct sup_run *R, const char *trace_path, const char *out, char *err,
		       size_t errlen);
void sup_timeline_free(struct sup_run *R);

#endif
