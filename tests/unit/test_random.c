/* shim/random.c: the seeded stream every entropy source reads from. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/auxv.h>

#include "shim.h"

struct shim_proc shim_proc;
SHIM_TLS struct shim_thread shim_self;

Test(random, same_seed_same_bytes_other_seed_other_bytes)
{
	unsigned char a[64], b[64], c[64];
	shim_random_seed(42);
	shim_random_fill(a, sizeof a);
	shim_random_seed(42);
	shim_random_fill(b, sizeof b);
	shim_random_seed(43);
	shim_random_fill(c, sizeof c);
	cr_expect_arr_eq(a, b, sizeof a);
	cr_expect(memcmp(a, c, sizeof a) != 0);
}

Test(random, odd_lengths_continue_the_stream)
{
	unsigned char whole[24], parts[24];
	shim_random_seed(7);
	shim_random_fill(whole, sizeof whole);
	shim_random_seed(7);
	shim_random_fill(parts, 8);
	shim_random_fill(parts + 8, 16);
	cr_expect_arr_eq(whole, parts, sizeof whole);
	/* a 3-byte read takes a fresh word: no bytes are reused */
	shim_random_seed(7);
	unsigned char three[3];
	shim_random_fill(three, 3);
	cr_expect_arr_eq(three, whole, 3);
}

Test(random, at_random_is_rewritten_from_the_seed)
{
	unsigned char *at = (unsigned char *)getauxval(AT_RANDOM), first[16];
	cr_assert(at);
	shim_random_seed(99);
	memcpy(first, at, 16);
	shim_random_seed(99);
	cr_expect_arr_eq(at, first, 16);
	shim_random_seed(100);
	cr_expect(memcmp(at, first, 16) != 0);
}

Test(random, words_look_uniform)
{
	shim_random_seed(1);
	int ones = 0;
	for (int i = 0; i < 1000; i++)
		ones += __builtin_popcountll(shim_random_u64());
	cr_expect(ones > 31000 && ones < 33000, "%d one bits of 64000", ones);
}
