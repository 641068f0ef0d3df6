/*
 * clock — every way a program reads or waits on time, under simsup all
 * virtual: libc clock_gettime/gettimeofday/time, the vDSO called directly,
 * rdtsc, nanosleep, poll and select timeouts.
 *
 *   simsup --seed 1 -- ./clock
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <elf.h>
#include <link.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Finds __vdso_clock_gettime in the vDSO, as Go's runtime does. */
static void *vdso_sym(const char *name)
{
	ElfW(Ehdr) *eh = (ElfW(Ehdr) *)getauxval(AT_SYSINFO_EHDR);
	if (!eh)
		return NULL;
	ElfW(Shdr) *sh = (ElfW(Shdr) *)((char *)eh + eh->e_shoff);
	ElfW(Sym) *sym = NULL;
	const char *str = NULL;
	size_t n = 0;
	ElfW(Addr) base = 0;
	ElfW(Phdr) *ph = (ElfW(Phdr) *)((char *)eh + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			base = (ElfW(Addr))eh - ph[i].p_vaddr + ph[i].p_offset;
			break;
		}
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_DYNSYM) {
			sym = (ElfW(Sym) *)((char *)eh + sh[i].sh_offset);
			n = sh[i].sh_size / sizeof *sym;
			str = (char *)eh + sh[sh[i].sh_link].sh_offset;
		}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(str + sym[i].st_name, name))
			return (void *)(base + sym[i].st_value);
	return NULL;
}

int main(void)
{
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	printf("realtime %lld\n", (long long)rt.tv_sec);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf("gettimeofday %lld time %lld\n", (long long)tv.tv_sec, (long long)time(NULL));
	int (*vdso_gettime)(clockid_t, struct timespec *) = vdso_sym("__vdso_clock_gettime");
	if (vdso_gettime) {
		struct timespec v;
		vdso_gettime(CLOCK_REALTIME, &v);
		printf("vdso realtime %lld\n", (long long)v.tv_sec);
	}
	unsigned long long t0 = __rdtsc();
	double m0 = mono();
	sleep(3600);
	printf("slept an hour: monotonic +%.0fs\n", mono() - m0);
	usleep(250000);
	struct pollfd p = { .fd = 0, .events = 0 };
	poll(&p, 1, 1500);
	struct timeval to = { .tv_sec = 2 };
	select(0, NULL, NULL, NULL, &to);
	printf("after poll 1.5s and select 2s: +%.2fs\n", mono() - m0);
	unsigned long long t1 = __rdtsc();
	printf("rdtsc advanced %s\n", t1 - t0 >= 3600ULL * 1000000000ULL ? "by at least an hour" : "too little");
	clock_gettime(CLOCK_REALTIME, &rt);
	char buf[64];
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&rt.tv_sec));
	printf("now %s\n", buf);
	return 0;
}
