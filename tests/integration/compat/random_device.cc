// random_device — what std::random_device gives (libstdc++ reads RDSEED or
// RDRAND on CPUs that have them).  Prints two numbers.
#include <iostream>
#include <random>

int main()
{
	std::random_device rd;
	unsigned a = rd(), b = rd();
	std::cout << a << " " << b << "\n";
	return 0;
}
