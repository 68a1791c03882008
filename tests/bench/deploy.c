/*
 * bench-deploy: runs a built-in deploy provider the way `ferry run` hands
 * a deploy over (a workspace directory, the entry's options as a val map
 * read from YAML, the job's environment, ctx->write to stdout), for the
 * deploy suite and the S3 benchmark.
 *
 *   bench-deploy [-w DIR] [-C CWD] [-e NAME=VALUE]... [-n N] [--dry-run]
 *                [--color] [--secrets FILE] [--build-number N]
 *                [--branch B] [--commit SHA] [--slug OWNER/REPO] FILE.yml
 *
 * FILE.yml is one deploy entry (a map with `provider:`), or a whole
 * .travis.yml whose deploy entry number N (default 0) is used.  Output
 * is exactly what the provider writes; a failure prints
 * "deploy failed: <message>" on stderr and exits 1.  --secrets writes
 * every value the provider registered with add_secret, one per line.
 *
 * Helper modes for the tests that compare with Ruby and file(1):
 *   bench-deploy glob BASE     < lines "FLAGS PATTERN"  (Dir.glob)
 *   bench-deploy fnmatch       < lines "FLAGS\tPATTERN\tSTRING"
 *   bench-deploy detect FILE...  "FILE: text|gzip|compress|none"
 */
#include "compat.h"

#include <unistd.h>

#include "buf.h"
#include "deployer.h"
#include "error.h"
#include "loader.h"
#include "mime.h"
#include "rbglob.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

struct driver {
	struct svec secrets;
};

static void out_write(void *payload, const char *data, size_t len)
{
	(void)payload;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
}

static void out_secret(void *payload, const char *secret)
{
	struct driver *d = payload;

	if (!svec_has(&d->secrets, secret))
		svec_push(&d->secrets, secret);
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-deploy [-w DIR] [-C CWD] [-e N=V]... "
			"[-n N] [--dry-run] [--color] [--secrets FILE] "
			"FILE.yml\n       bench-deploy glob BASE | fnmatch\n");
	return 2;
}

static int glob_mode(const char *base)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		struct svec v = SVEC_INIT;
		char *j;

		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) < 2)
			continue;
		if (rbglob_dir(&v, base, line + 2, (unsigned)(line[0] - '0'),
			       false) < 0) {
			printf("ERROR\n");
			continue;
		}
		j = svec_join(&v, "|");
		printf("%s\n", j);
		free(j);
		svec_release(&v);
	}
	return 0;
}

static int fnmatch_mode(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		char *pat, *str;

		line[strcspn(line, "\n")] = '\0';
		pat = strchr(line, '\t');
		str = pat ? strchr(pat + 1, '\t') : NULL;
		if (!str)
			continue;
		*pat++ = '\0';
		*str++ = '\0';
		printf("%d\n", rbglob_match(pat, str,
					    (unsigned)strtoul(line, NULL, 10)));
	}
	return 0;
}

static int detect_mode(int argc, char **argv)
{
	int status = 0;

	for (int i = 2; i < argc; i++) {
		enum mime_class c;

		if (mime_detect_file(argv[i], &c) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], err_msg());
			status = 1;
			continue;
		}
		printf("%s: %s\n", argv[i],
		       mime_class_encoding(c) ? mime_class_encoding(c)
					      : "none");
	}
	return status;
}

/* The entry: the document itself, or deploy[n] of a .travis.yml. */
static const struct val *pick_entry(const struct val *doc, size_t n)
{
	const struct val *d = val_map_get(doc, "deploy");

	if (!d)
		return doc;
	if (d->type == VAL_MAP)
		return n ? NULL : d;
	if (d->type == VAL_SEQ && n < d->seq.n)
		return d->seq.v[n];
	return NULL;
}

static int write_secrets(const char *path, const struct svec *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return err_errno("cannot write '%s'", path);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s\n", s->v[i]);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct driver drv = { SVEC_INIT };
	struct deploy_ctx ctx = { 0 };
	struct val *doc = NULL, *env = NULL;
	const struct val *entry;
	const struct deployer *dep;
	const char *secrets = NULL, *file = NULL;
	size_t index = 0;
	int err, i;

	if (argc >= 3 && !strcmp(argv[1], "glob"))
		return glob_mode(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "fnmatch"))
		return fnmatch_mode();
	if (argc >= 2 && !strcmp(argv[1], "detect"))
		return detect_mode(argc, argv);
	ctx.workspace = ".";
	ctx.cwd = "";
	env = val_map();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--dry-run")) {
			ctx.dry_run = true;
			continue;
		}
		if (!strcmp(a, "--color")) {
			ctx.color = true;
			continue;
		}
		if (a[0] != '-')
			break;
		if (!v) {
			i = argc;
			break;
		}
		i++;
		if (!strcmp(a, "-w")) {
			ctx.workspace = v;
		} else if (!strcmp(a, "-C")) {
			ctx.cwd = v;
		} else if (!strcmp(a, "-n")) {
			index = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "-e")) {
			const char *eq = strchr(v, '=');
			char *name;

			if (!eq) {
				i = argc;
				break;
			}
			name = xmemdupz(v, (size_t)(eq - v));
			val_map_set(env, name, val_str(eq + 1));
			free(name);
		} else if (!strcmp(a, "--secrets")) {
			secrets = v;
		} else if (!strcmp(a, "--build-number")) {
			ctx.build_number = v;
			val_map_set(env, "TRAVIS_BUILD_NUMBER", val_str(v));
		} else if (!strcmp(a, "--branch")) {
			ctx.branch = v;
		} else if (!strcmp(a, "--commit")) {
			ctx.commit = v;
		} else if (!strcmp(a, "--slug")) {
			ctx.slug = v;
		} else {
			i = argc;
			break;
		}
	}
	if (i != argc - 1) {
		val_free(env);
		return usage();
	}
	file = argv[i];
	err = loader_load_file(&doc, file, NULL, NULL);
	if (err < 0)
		goto out;
	entry = pick_entry(doc, index);
	if (!entry || entry->type != VAL_MAP) {
		err = err_set(FY_EINVALID, "'%s': no deploy entry %zu", file,
			      index);
		goto out;
	}
	dep = deployer_find(val_text(val_map_get(entry, "provider")));
	if (!dep) {
		err = err_set(FY_ENOTFOUND, "unknown provider '%s'",
			      val_text(val_map_get(entry, "provider")));
		goto out;
	}
	ctx.opts = entry;
	ctx.index = index;
	ctx.env = env;
	ctx.write = out_write;
	ctx.add_secret = out_secret;
	ctx.payload = &drv;
	err = dep->validate ? dep->validate(entry) : 0;
	if (!err)
		err = dep->run(&ctx);
out:
	if (err < 0)
		fprintf(stderr, "deploy failed: %s\n", err_msg());
	if (secrets)
		write_secrets(secrets, &drv.secrets);
	val_free(doc);
	val_free(env);
	svec_release(&drv.secrets);
	return err < 0 ? 1 : 0;
}
