/*
 * The man page (docs/simsup.1) and the bash completion (data/simsup.bash)
 * name the same long options as `simsup --help`, the completion knows which
 * of them take an argument, and the man page names the same version as
 * `simsup --version`: adding an option means documenting it in all three
 * places.
 */
#include "harness.h"

#include <ctype.h>

#define MAX_OPTS 128

struct optset {
	int n;
	char name[MAX_OPTS][48];
	bool arg[MAX_OPTS]; /* --help: "--opt ARG" (one space), not "--opt   text" */
};

static void add(struct optset *s, const char *name, size_t len, bool arg)
{
	if (len >= sizeof s->name[0])
		len = sizeof s->name[0] - 1;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->name[i]) == len && !strncmp(s->name[i], name, len)) {
			s->arg[i] |= arg;
			return;
		}
	cr_assert_lt(s->n, MAX_OPTS);
	memcpy(s->name[s->n], name, len);
	s->name[s->n][len] = 0;
	s->arg[s->n++] = arg;
}

static bool has(const struct optset *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return true;
	return false;
}

/* The path of REL in the source tree. */
static char *source(const char *rel)
{
	const char *d = getenv("SIMSUP_SOURCE");
	cr_assert(d && *d, "SIMSUP_SOURCE is not set: run the tests through meson test");
	char *p;
	cr_assert(asprintf(&p, "%s/%s", d, rel) > 0);
	return p;
}

/* Adds every --long-option in LINE (up to its end) to S. */
static void scan_line(struct optset *s, const char *line)
{
	const char *end = strchrnul(line, '\n');
	for (const char *p = line; p + 2 < end; p++) {
		bool start = p == line || !(isalnum((unsigned char)p[-1]) || p[-1] == '-');
		if (!start || p[0] != '-' || p[1] != '-' || !islower((unsigned char)p[2]))
			continue;
		size_t k = 2;
		while (p + k < end && (islower((unsigned char)p[k]) || isdigit((unsigned char)p[k]) ||
				       p[k] == '-'))
			k++;
		add(s, p, k, p + k + 1 < end && p[k] == ' ' && p[k + 1] != ' ');
		p += k - 1;
	}
}

/* --help: the options are the lines that start with two spaces and a dash. */
static void help_options(struct optset *s)
{
	struct run r;
	run_sim(&r, "simsup --help");
	cr_assert_eq(r.status, 0, "simsup --help exited %d", r.status);
	for (const char *l = r.out; *l; l = strchrnul(l, '\n'), l += *l == '\n')
		if (!strncmp(l, "  -", 3))
			scan_line(s, l);
	run_free(&r);
	cr_assert_gt(s->n, 10, "found only %d options in simsup --help", s->n);
}

/* The man page: the tag line of each .TP entry, with \- read as -. */
static void man_options(struct optset *s)
{
	char *path = source("docs/simsup.1");
	char *text = slurp(path);
	cr_assert(text, "cannot read %s", path);
	char *w = text;
	for (const char *p = text; *p; p++) {
		if (p[0] == '\\' && p[1] == '-')
			p++;
		*w++ = *p;
	}
	*w = 0;
	for (const char *l = text; *l; l = strchrnul(l, '\n'), l += *l == '\n')
		if (!strncmp(l, ".TP\n", 4))
			scan_line(s, l + 4);
	free(text);
	free(path);
}

/* The completion: what bash offers for `simsup --<TAB>`, each word that
 * starts with -- (and --chaos= read as --chaos). */
static void completion_options(struct optset *s)
{
	char *path = source("data/simsup.bash");
	struct run r;
	run_sim(&r,
		"bash -c 'source \"$1\" || exit 1; COMP_WORDS=(simsup --) COMP_CWORD=1 "
		"COMP_LINE=\"simsup --\" COMP_POINT=9; _simsup simsup -- simsup; "
		"printf \"%%s\\n\" \"${COMPREPLY[@]}\"' bash '%s'",
		path);
	cr_assert_eq(r.status, 0, "completing `simsup --` failed (%d): %s", r.status, r.err);
	for (const char *l = r.out; *l; l = strchrnul(l, '\n'), l += *l == '\n')
		scan_line(s, l);
	run_free(&r);
	free(path);
}

/* For each option of HELP, whether the completion reads the word after it
 * as its argument: completing `simsup OPT x --` offers options then, and
 * nothing when x is taken for the command. */
static void completion_args(const struct optset *help, bool *arg)
{
	char *path = source("data/simsup.bash"), list[4096] = "";
	size_t n = 0;
	for (int i = 0; i < help->n; i++)
		n += snprintf(list + n, n < sizeof list ? sizeof list - n : 0, " %s", help->name[i]);
	cr_assert_lt(n, sizeof list);
	struct run r;
	run_sim(&r,
		"bash -c 'source \"$1\" || exit 1; shift; for o; do "
		"COMP_WORDS=(simsup \"$o\" x --) COMP_CWORD=3 COMPREPLY=(); "
		"_simsup simsup -- x 2>/dev/null; "
		"case \" ${COMPREPLY[*]} \" in *\" --procs \"*) echo \"$o 1\";; *) echo \"$o 0\";; esac; "
		"done' bash '%s'%s",
		path, list);
	cr_assert_eq(r.status, 0, "completing `simsup OPT x --` failed (%d): %s", r.status, r.err);
	char *out;
	cr_assert(asprintf(&out, "\n%s", r.out) > 0); /* every line starts after a \n */
	for (int i = 0; i < help->n; i++) {
		char want[64];
		snprintf(want, sizeof want, "\n%s 1\n", help->name[i]);
		arg[i] = strstr(out, want) != NULL;
	}
	free(out);
	run_free(&r);
	free(path);
}

/* One message naming every option that is in one set and not the other. */
static void expect_same(const struct optset *help, const struct optset *other, const char *what)
{
	char diff[4096] = "";
	size_t n = 0;
	for (int i = 0; i < help->n; i++)
		if (!has(other, help->name[i]))
			n += snprintf(diff + n, n < sizeof diff ? sizeof diff - n : 0,
				      "\n  in --help, not in %s: %s", what, help->name[i]);
	for (int i = 0; i < other->n; i++)
		if (!has(help, other->name[i]))
			n += snprintf(diff + n, n < sizeof diff ? sizeof diff - n : 0,
				      "\n  in %s, not in --help: %s", what, other->name[i]);
	cr_expect(n == 0, "%s and simsup --help name different long options:%s", what, diff);
}

Test(docs_options, man_page_has_every_option_of_help)
{
	static struct optset help, man;
	help_options(&help);
	man_options(&man);
	expect_same(&help, &man, "docs/simsup.1");
}

Test(docs_options, completion_offers_every_option_of_help)
{
	static struct optset help, comp;
	help_options(&help);
	completion_options(&comp);
	expect_same(&help, &comp, "data/simsup.bash");
}

Test(docs_options, completion_skips_the_argument_of_each_option)
{
	static struct optset help;
	static bool arg[MAX_OPTS];
	help_options(&help);
	completion_args(&help, arg);
	char diff[4096] = "";
	size_t n = 0;
	for (int i = 0; i < help.n; i++)
		if (arg[i] != help.arg[i])
			n += snprintf(diff + n, n < sizeof diff ? sizeof diff - n : 0, "\n  %s: %s",
				      help.name[i],
				      help.arg[i] ? "takes an argument, which the completion reads as "
						    "the command"
						  : "takes no argument, but the completion skips the "
						    "word after it");
	cr_expect(n == 0, "data/simsup.bash and simsup --help disagree on arguments:%s", diff);
}

Test(docs_options, man_page_names_the_version)
{
	struct run r;
	run_sim(&r, "simsup --version");
	cr_assert_eq(r.status, 0);
	char version[64] = "";
	sscanf(r.out, "%63[^\n]", version);
	char *path = source("docs/simsup.1");
	char *text = slurp(path);
	cr_assert(text, "cannot read %s", path);
	char *th = strstr(text, "\n.TH ");
	char want[80];
	snprintf(want, sizeof want, "\"%s\"", version);
	cr_expect(th && strstr(th, want) && strstr(th, want) < strchrnul(th + 1, '\n'),
		  "the .TH line of %s should name %s (simsup --version)", path, want);
	run_free(&r);
	free(text);
	free(path);
}
