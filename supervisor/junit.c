/*
 * junit.c — JUnit XML through libxml2's xmlTextWriter, which escapes
 * attribute values and text; characters XML 1.0 cannot carry at all
 * (control bytes a program may print, invalid UTF-8) are replaced first.
 *
 * Layout:
 *   <testsuites name tests failures errors time>
 *     <testsuite name tests failures errors skipped time timestamp hostname>
 *       <properties><property name value/>...</properties>
 *       <testcase name="seed N" classname="simsup.PROGRAM" time>
 *         <failure message type>replay command, run dir</failure>
 *           | <error message type>... | <skipped message/>
 *         <system-out>virtual time, trace hash</system-out>
 */
#define _GNU_SOURCE
#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "junit.h"
#include "sup.h"

/* A copy of s that XML 1.0 can hold: valid UTF-8 without the control
 * characters the format forbids; anything else becomes '?'. */
static char *xml_clean(const char *s)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	if (!out)
		return NULL;
	while (*p) {
		int len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
			: (*p & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len > 0;
		for (int i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (len == 1 && *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			ok = false;
		if (len == 2 && *p < 0xc2)
			ok = false; /* overlong */
		if (!ok) {
			*o++ = '?';
			p++;
			continue;
		}
		memcpy(o, p, (size_t)len);
		o += len;
		p += len;
	}
	*o = 0;
	return (char *)out;
}

static void attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *c = xml_clean(value ? value : "");
	xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST(c ? c : ""));
	free(c);
}

static void attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	attr(w, name, buf);
}

static void text(xmlTextWriterPtr w, const char *s)
{
	char *c = xml_clean(s);
	xmlTextWriterWriteString(w, BAD_CAST(c ? c : ""));
	free(c);
}

struct counts {
	size_t tests, failures, errors, skipped;
};

static struct counts count(const struct sup_sweep_report *s)
{
	struct counts c = { s->n, 0, 0, 0 };
	for (size_t i = 0; i < s->n; i++) {
		c.failures += s->r[i].outcome == SUP_FAILED;
		c.errors += s->r[i].outcome == SUP_ERROR;
		c.skipped += s->r[i].outcome == SUP_STOPPED;
	}
	return c;
}

/* <testsuites> gets no "skipped": the Jenkins schema (junit-10.xsd) has
 * none there, and some readers validate against it. */
static void totals(xmlTextWriterPtr w, const struct sup_sweep_report *s, struct counts c,
		   bool suite)
{
	attrf(w, "tests", "%zu", c.tests);
	attrf(w, "failures", "%zu", c.failures);
	attrf(w, "errors", "%zu", c.errors);
	if (suite)
		attrf(w, "skipped", "%zu", c.skipped);
	attrf(w, "time", "%.3f", s->wall_ns / 1e9);
}

static void property(xmlTextWriterPtr w, const char *name, const char *value)
{
	xmlTextWriterStartElement(w, BAD_CAST "property");
	attr(w, "name", name);
	attr(w, "value", value);
	xmlTextWriterEndElement(w);
}

static void properties(xmlTextWriterPtr w, const struct sup_sweep_report *s)
{
	char buf[64];
	xmlTextWriterStartElement(w, BAD_CAST "properties");
	char *cmd = s->n ? sup_cli_replay(s->argc, s->argv, s->r[0].seed) : NULL;
	if (cmd) {
		/* the command without its first seed: "simsup --seed N" is prepended per seed */
		const char *rest = strchr(cmd + strlen("simsup --seed "), ' ');
		property(w, "simsup.command", rest ? rest + 1 : "");
		free(cmd);
	}
	property(w, "simsup.program", s->prog);
	if (s->o->shard_n) {
		snprintf(buf, sizeof buf, "%d/%d", s->o->shard_k, s->o->shard_n);
		property(w, "simsup.shard", buf);
	}
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->total);
	property(w, "simsup.seeds", buf);
	if (s->stopped)
		property(w, "simsup.stopped", s->stopped);
	struct sup_family_row rows[SUP_NFAMILIES];
	int nf = sup_report_families(s, rows);
	for (int k = 0; k < nf; k++) {
		char name[64], val[96];
		snprintf(name, sizeof name, "simsup.family.%s", rows[k].name);
		snprintf(val, sizeof val, "on %zu, failed %zu, failed without it %zu", rows[k].on,
			 rows[k].failed_on, rows[k].failed_off);
		property(w, name, val);
	}
	xmlTextWriterEndElement(w);
}

static void testcase(xmlTextWriterPtr w, const struct sup_sweep_report *s,
		     const struct sup_seed_result *r, const char *classname)
{
	char buf[128];
	xmlTextWriterStartElement(w, BAD_CAST "testcase");
	snprintf(buf, sizeof buf, "seed %llu", (unsigned long long)r->seed);
	attr(w, "name", buf);
	attr(w, "classname", classname);
	attrf(w, "time", "%.3f", r->wall_ns / 1e9);
	if (r->outcome == SUP_FAILED || r->outcome == SUP_ERROR) {
		xmlTextWriterStartElement(w, BAD_CAST(r->outcome == SUP_FAILED ? "failure" : "error"));
		attr(w, "message", r->why);
		attr(w, "type", r->kind);
		char *cmd = s->replay ? strdup(s->replay) : sup_cli_replay(s->argc, s->argv, r->seed);
		char *dir = sup_report_seed_dir(s, r), *body = NULL;
		if (asprintf(&body, "%s\n%s: %s\nrun dir: %s\n%s", r->why ? r->why : "",
			     s->replay ? "minimal command" : "replay with", cmd ? cmd : "?", dir ? dir : "?",
			     s->story ? s->story : "") > 0)
			text(w, body);
		free(body);
		free(cmd);
		free(dir);
		xmlTextWriterEndElement(w);
	} else if (r->outcome == SUP_STOPPED) {
		xmlTextWriterStartElement(w, BAD_CAST "skipped");
		snprintf(buf, sizeof buf, "stopped before its end (%s)", s->stopped ? s->stopped : "signal");
		attr(w, "message", buf);
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterStartElement(w, BAD_CAST "system-out");
	snprintf(buf, sizeof buf, "virtual time %.6fs, trace hash %s\n", r->virtual_ns / 1e9,
		 r->hash[0] ? r->hash : "-");
	text(w, buf);
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
}

int sup_junit_write(const struct sup_sweep_report *s, const char *path, char *err, size_t errlen)
{
	LIBXML_TEST_VERSION
	xmlTextWriterPtr w = xmlNewTextWriterFilename(path, 0);
	if (!w) {
		snprintf(err, errlen, "--junit: cannot write %s", path);
		return -1;
	}
	const char *base = strrchr(s->prog, '/');
	char suite[300], classname[300], stamp[32], host[256] = "localhost";
	base = base ? base + 1 : s->prog;
	snprintf(suite, sizeof suite, "simsup %s", base);
	snprintf(classname, sizeof classname, "simsup.%s", base);
	struct tm tm;
	gmtime_r(&s->started, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	gethostname(host, sizeof host - 1);
	struct counts c = count(s);

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	int rc = xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "testsuites");
	attr(w, "name", "simsup");
	totals(w, s, c, false);
	xmlTextWriterStartElement(w, BAD_CAST "testsuite");
	attr(w, "name", suite);
	totals(w, s, c, true);
	attr(w, "timestamp", stamp);
	attr(w, "hostname", host);
	properties(w, s);
	for (size_t i = 0; i < s->n; i++)
		testcase(w, s, &s->r[i], classname);
	xmlTextWriterEndElement(w); /* testsuite */
	xmlTextWriterEndElement(w); /* testsuites */
	if (xmlTextWriterEndDocument(w) < 0 || rc < 0) {
		xmlFreeTextWriter(w);
		snprintf(err, errlen, "--junit: cannot write %s", path);
		return -1;
	}
	xmlFreeTextWriter(w);
	return 0;
}
