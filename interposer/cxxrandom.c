/*
 * cxxrandom.c — std::random_device from the run's seed.
 *
 * libstdc++ (12, Debian 12) makes std::random_device read the CPU's
 * RDSEED/RDRAND instructions whenever the CPU has them: no syscall, no
 * file, nothing simsup can trap (CPUID faulting, which could hide the
 * feature, is not available on most hosts: arch_prctl(ARCH_SET_CPUID)
 * gives ENODEV on the machines we measured).  Every C++ program seeding a
 * generator with std::random_device{}() then diverged silently between two
 * runs of one seed.
 *
 * operator() is inline in <random> and calls the exported member
 * random_device::_M_getval() through the PLT, so defining that symbol here,
 * in the preloaded library, interposes it for every program and every
 * token ("default", "rdrand", "rdseed", "/dev/urandom", ...): each value
 * comes from the seeded stream, like getrandom and /dev/urandom.  The
 * member's object is not touched.  _M_getval_pretr1 is the same member for
 * code built against the pre-C++11 ABI of <tr1/random>.
 *
 * Written in C on purpose (the shim links only libc): the symbols carry
 * their mangled names.  A program not linked with libstdc++ never refers to
 * them, so they cost nothing there.
 */
#include <stdint.h>
#include <sys/syscall.h>

#include "shim.h"

SHIM_EXPORT unsigned int shim_cxx_random_device_getval(void *self)
	__asm__("_ZNSt13random_device9_M_getvalEv");
SHIM_EXPORT unsigned int shim_cxx_random_device_getval_pretr1(void *self)
	__asm__("_ZNSt13random_device16_M_getval_pretr1Ev");

/* Through the dispatcher, as the getrandom wrapper: the same tick and the
 * same -vv trace line as any other draw from the seeded stream. */
static unsigned int seeded_u32(void)
{
	uint32_t v = 0;
	struct sim_call c = { .nr = SYS_getrandom, .a = { (long)&v, sizeof v, 0 } };
	shim_dispatch(&c);
	return v;
}

unsigned int shim_cxx_random_device_getval(void *self)
{
	(void)self;
	return seeded_u32();
}

unsigned int shim_cxx_random_device_getval_pretr1(void *self)
{
	(void)self;
	return seeded_u32();
}
