/*
 * static_prog.c — a statically linked program (built with -static and with
 * -static-pie) that shows what test_static checks: virtual time through a
 * libc call, a raw syscall and rdtsc; virtual pids and tids; threads with
 * TLS of their own; a fork and a wait; a sleep; the seeded AT_RANDOM; a
 * virtual TCP connection to itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static __thread int tls_value = 7;

static void *worker(void *arg)
{
	long id = (long)arg;
	tls_value += (int)id;
	usleep(1000 * (unsigned)id);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("thread %ld tid %ld tls %d mono %lld.%09ld\n", id, (long)syscall(SYS_gettid),
	       tls_value, (long long)ts.tv_sec, ts.tv_nsec);
	return NULL;
}

static void talk_to_self(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7000),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
	    connect(c, (struct sockaddr *)&a, sizeof a)) {
		perror("talk_to_self");
		exit(1);
	}
	int s = accept(l, (struct sockaddr *)&a, &len);
	char buf[16] = "";
	if (write(c, "ping", 4) != 4 || read(s, buf, sizeof buf - 1) != 4)
		exit(1);
	getsockname(c, (struct sockaddr *)&a, &len);
	printf("tcp %s from %s\n", buf, inet_ntoa(a.sin_addr));
	close(s);
	close(c);
	close(l);
}

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("start pid %d ppid %d realtime %lld args %d %s\n", getpid(), getppid(),
	       (long long)ts.tv_sec, argc, argc > 1 ? argv[1] : "-");
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	printf("exe %s\n", strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
	const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
	printf("at_random %02x%02x%02x%02x\n", r[0], r[1], r[2], r[3]);
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("main tls %d\n", tls_value);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		printf("child pid %d ppid %d\n", getpid(), getppid());
		exit(3);
	}
	int st;
	waitpid(child, &st, 0);
	printf("waited %d status %d\n", (int)child, WEXITSTATUS(st));
	talk_to_self();
	unsigned long long t0 = __rdtsc();
	sleep(3);
	struct timespec raw;
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &raw);
	printf("after sleep realtime %lld rdtsc advanced %llds\n", (long long)raw.tv_sec,
	       (__rdtsc() - t0) / 1000000000ULL);
	fflush(stdout);
	return 0;
}
