/*
 * junit.h — --junit FILE: the seeds of a sweep (or the one seed) as JUnit
 * XML, the de-facto format of Ant, Maven Surefire and Jenkins that CI
 * systems (GitHub Actions reporters, GitLab, Jenkins, Buildkite) read.
 * One <testcase> per seed; a failing seed's <failure> carries the why as
 * its message, the kind as its type and the replay command as its text.
 * tests/integration/junit.xsd is the schema it is checked against.
 */
#ifndef SUP_JUNIT_H
#define SUP_JUNIT_H

#include <stddef.h>

#include "report.h"

/* Writes s to path.  0 | -1 with err set ("--junit: cannot write ..."). */
int sup_junit_write(const struct sup_sweep_report *s, const char *path, char *err, size_t errlen);

#endif
