/*
 * disk.h — disk faults (disk.c): --disk specs and the decisions the shim
 * asks for (SIM_DISK).
 */
#ifndef SUP_DISK_H
#define SUP_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "sup.h"

enum { SUP_DISK_EIO, SUP_DISK_ENOSPC, SUP_DISK_STALL, SUP_DISK_CORRUPT };

struct sup_disk_fault {
	int64_t at, dur, until;  /* dur 0: until count operations were hit */
	int node;
	int fault;               /* SUP_DISK_* */
	int ops;                 /* SIM_DISK_* it hits */
	int count;               /* operations left (0: by time) */
	int64_t delay;           /* stall: at most this much virtual time */
	char glob[256];          /* path filter ("" all), on the path in the storage dir
				    or the file name */
	bool active;
};

/* Parses --disk; 0, or -1 with err set. */
int sup_disk_parse(const char *arg, int procs, struct sup_disk_fault *d, char *err, size_t n);
void sup_disk_start(struct sup_run *R);   /* schedule the --disk faults */
void sup_disk_free(struct sup_run *R);
/* A chaos disk fault on a random server, from now for lo..hi (rng: the
 * faults' stream). */
void sup_disk_chaos(struct sup_run *R, uint64_t rng[4], int64_t lo, int64_t hi);
/* SIM_DISK_* ops with a fault active on node now (sim_rep.disk_ops). */
int64_t sup_disk_ops(struct sup_run *R, int node);
/* The node's disk (the vda of the virtual /sys, statfs) unless --disk-size. */
#define SUP_DISK_BYTES (64LL << 30)
int64_t sup_disk_usage(struct sup_run *R, int node, int64_t *entries, int64_t *size);
/* The decision for one operation on the file open at fd (a write of len
 * bytes at off; off -1: at the file's position): 0 or -errno;
 * *stall virtual ns to wait first; *corrupt 1+seed to corrupt a read. */
int64_t sup_disk_decide(struct sup_run *R, int node, int op, int fd, int64_t len, int64_t off,
			int64_t *stall, int64_t *corrupt);


#endif
