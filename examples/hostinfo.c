/*
 * hostinfo — what a program learns about "its machine" through the files
 * and calls that would leak the host: /proc/self/stat and status,
 * /proc/cpuinfo, /proc/meminfo, /proc/stat, /proc/uptime, /proc/loadavg,
 * boot_id, the CPU lists in /sys, uname, sysinfo, getrusage, getloadavg,
 * sysconf CPU counts, and its own /proc/self/fd.  Under simsup every line
 * is the same for the same seed, on any host.
 *
 *   simsup --seed 1 -- ./hostinfo
 *   simsup --seed 1 -- ./hostinfo tasks   its threads in /proc/self/task
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <unistd.h>

static void show(const char *path, int max_lines)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: cannot open\n", path);
		return;
	}
	char line[512];
	printf("== %s\n", path);
	for (int n = 0; n < max_lines && fgets(line, sizeof line, f); n++)
		fputs(line, stdout);
	fclose(f);
}

static int gate[2];

static void *parked(void *arg)
{
	char c;
	(void)arg;
	return read(gate[0], &c, 1) == 1 ? NULL : NULL;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Two more threads, then the task directory's listing (sorted) and the
 * last thread's stat line. */
static int tasks(void)
{
	pthread_t th[2];
	if (pipe(gate) < 0)
		return 1;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, parked, NULL);
	usleep(1000);
	int ids[16], n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 16)
		if (e->d_name[0] != '.')
			ids[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	qsort(ids, (size_t)n, sizeof *ids, cmp_int);
	printf("tasks:");
	for (int i = 0; i < n; i++)
		printf(" %d", ids[i]);
	printf("\n");
	char path[64], line[512] = "";
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", n ? ids[n - 1] : 0);
	FILE *f = fopen(path, "r");
	if (f && fgets(line, sizeof line, f))
		printf("task %d stat: %s", ids[n - 1], line);
	if (f)
		fclose(f);
	if (write(gate[1], "xx", 2) != 2)
		return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "tasks"))
		return tasks();
	const char *files[] = { "/proc/self/stat", "/proc/self/status", "/proc/cpuinfo",
				"/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible",
				"/proc/meminfo", "/proc/stat", "/proc/uptime", "/proc/loadavg",
				"/proc/sys/kernel/random/boot_id", "/proc/sys/kernel/random/uuid" };
	for (unsigned i = 0; i < sizeof files / sizeof *files; i++)
		show(files[i], 200);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	show(path, 1);
	printf("nprocs: onln %ld conf %ld get_nprocs %d\n", sysconf(_SC_NPROCESSORS_ONLN),
	       sysconf(_SC_NPROCESSORS_CONF), get_nprocs());
	struct utsname u;
	uname(&u);
	printf("uname: %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
	struct sysinfo si;
	sysinfo(&si);
	printf("sysinfo: uptime %ld totalram %lu freeram %lu procs %d\n", si.uptime, si.totalram,
	       si.freeram, si.procs);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("getrusage: utime %ld.%06ld stime %ld.%06ld maxrss %ld\n", (long)ru.ru_utime.tv_sec,
	       (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
	       ru.ru_maxrss);
	double la[3];
	int n = getloadavg(la, 3);
	printf("getloadavg: %d %.2f %.2f %.2f\n", n, la[0], la[1], la[2]);
	struct tms t;
	clock_t up = times(&t);
	printf("times: %ld utime %ld\n", (long)up, (long)t.tms_utime);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	printf("/proc/self/fd:");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			printf(" %s", e->d_name);
	printf("\n");
	if (d)
		closedir(d);
	return 0;
}
