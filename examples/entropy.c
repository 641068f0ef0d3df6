/*
 * entropy — every source of randomness a program can reach, all from the
 * seed under simsup: getrandom, getentropy, /dev/urandom, AT_RANDOM, plus
 * the pid.  Same seed, same line.
 *
 *   simsup --seed 1 -- ./entropy
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <unistd.h>

static void hex(const char *label, const unsigned char *b, int n)
{
	printf("%s ", label);
	for (int i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

int main(void)
{
	unsigned char b[8];
	getrandom(b, sizeof b, 0);
	hex("getrandom", b, 8);
	getentropy(b, sizeof b);
	hex("getentropy", b, 8);
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd >= 0 && read(fd, b, sizeof b) == sizeof b)
		hex("urandom", b, 8);
	close(fd);
	hex("at_random", (const unsigned char *)getauxval(AT_RANDOM), 8);
	printf("pid %d ppid %d\n", getpid(), getppid());
	return 0;
}
