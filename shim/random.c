/*
 * random.c — every source of entropy a program can reach, from the seed.
 *
 * getrandom/getentropy, reads of /dev/urandom and /dev/random, and the
 * kernel's AT_RANDOM bytes all come from one per-image stream that the
 * supervisor derives from the run's seed.  xoshiro256** (Blackman & Vigna):
 * small, fast, and not cryptographic, which is what a simulation wants.
 * (The devices themselves, as the program sees them: entropy.c.)
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/auxv.h>

#include "shim.h"

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t shim_random_u64(void)
{
	uint64_t *s = shim_proc.rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

void shim_random_fill(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n) {
		uint64_t v = shim_random_u64();
		size_t k = n < 8 ? n : 8;
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

/* Seeds the stream with splitmix64, as xoshiro's authors recommend, and
 * rewrites AT_RANDOM so that stack protectors read later and runtimes that
 * seed from it (Go) see seeded bytes. */
void shim_random_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		shim_proc.rng[i] = z ^ (z >> 31);
	}
	shim_proc.prng_sched = seed ^ 0x5deece66dULL;
	void *at = (void *)getauxval(AT_RANDOM);
	if (at)
		shim_random_fill(at, 16);
}
