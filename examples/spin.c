/*
 * spin — a thread that computes forever without a single call simsup sees.
 * Nothing can preempt it; simsup's watchdog ends the run and names it.
 *
 *   simsup --watchdog 2s --seed 1 -- ./spin
 */
#include <stdio.h>

static volatile unsigned long counter;

static void __attribute__((noinline)) busy_loop(void)
{
	for (;;)
		counter++;
}

int main(void)
{
	puts("spinning");
	fflush(stdout);
	busy_loop();
}
