/*
 * What a program learns of /dev/urandom and of its stdin, as Redis does
 * first: fopen and fread (glibc's stdio asks whether a character device is
 * a terminal, one ioctl more than for a regular file), fstat of the stream
 * and stat of the path, the pool's entropy count, and what stdin is.  Under
 * simsup all of it must be the same on every host, whatever the host's
 * /dev/null is: the shim's stand-in for the device used to be an fd on
 * /dev/null, and the launcher gives every process /dev/null as stdin.
 */
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void show(const char *what, const struct stat *st)
{
	printf(" %s %s %u:%u %04o ino %llu mtime %lld", what,
	       S_ISCHR(st->st_mode) ? "chr" : S_ISREG(st->st_mode) ? "reg" : "other",
	       major(st->st_rdev), minor(st->st_rdev), (unsigned)(st->st_mode & 07777),
	       (unsigned long long)st->st_ino, (long long)st->st_mtime);
}

int main(void)
{
	unsigned char b[8];
	FILE *f = fopen("/dev/urandom", "r");
	if (!f || fread(b, 1, sizeof b, f) != sizeof b)
		return 1;
	struct stat a, p, in;
	int n = -1;
	if (fstat(fileno(f), &a) < 0 || stat("/dev/urandom", &p) < 0 || fstat(0, &in) < 0)
		return 1;
	ioctl(fileno(f), RNDGETENTCNT, &n);
	printf("bytes %02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
	show("fstat", &a);
	show("stat", &p);
	printf(" entropy %d", n);
	show("stdin", &in);
	printf(" tty %d\n", isatty(0));
	return 0;
}
