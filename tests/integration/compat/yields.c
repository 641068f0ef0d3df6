/*
 * yields — 1,000 sched_yield calls and 100 usleep calls: under simsup they
 * reach the shim through its PLT wrappers, not the trap (issue 14's point
 * 3; glibc's usleep calls nanosleep inside libc, where no PLT reaches).
 */
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int bad = 0;
	for (int i = 0; i < 1000; i++)
		bad += sched_yield() != 0;
	for (int i = 0; i < 100; i++)
		bad += usleep(100) != 0;
	printf("yields: %s\n", bad ? "FAILED" : "done");
	return bad != 0;
}
