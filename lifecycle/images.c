/*
 * images.c: the mapping from (os, dist, language, version) to a Docker
 * image, documented in the README ("Images").
 */
#include "compat.h"

#include "buf.h"
#include "error.h"
#include "images.h"
#include "lang.h"
#include "val.h"
#include "xalloc.h"

static const struct {
	const char *dist, *version;
} ubuntu[] = {
	{ "precise", "12.04" }, { "trusty", "14.04" }, { "xenial", "16.04" },
	{ "bionic", "18.04" },	{ "focal", "20.04" },  { "jammy", "22.04" },
	{ "noble", "24.04" },
};

/* Defaults: official images on Docker Hub, by travis-build language. */
static const struct {
	const char *lang, *key, *image, *fallback;
} defaults[] = {
	{ "python", "python", "python:{version}", "python:3.10" },
	{ "node_js", "node_js", "node:{version}", "node:lts" },
	{ "ruby", "rvm", "ruby:{version}", "ruby:3" },
	{ "go", "go", "golang:{version}", "golang:1" },
	{ "java", "jdk", "eclipse-temurin:{version}", "eclipse-temurin:17" },
	{ "rust", "rust", "rust:{version}", "rust:1" },
	{ "php", "php", "php:{version}", "php:8" },
	{ "perl", "perl", "perl:{version}", "perl:5" },
	{ "elixir", "elixir", "elixir:{version}", "elixir:1" },
	{ "erlang", "otp_release", "erlang:{version}", "erlang:26" },
	{ "haskell", "ghc", "haskell:{version}", "haskell:9" },
	{ "clojure", NULL, "clojure:latest", "clojure:latest" },
	{ "julia", "julia", "julia:{version}", "julia:1" },
	{ "r", "r", "r-base:{version}", "r-base:latest" },
	{ "dart", "dart", "dart:{version}", "dart:stable" },
	{ "crystal", "crystal", "crystallang/crystal:{version}",
	  "crystallang/crystal:latest" },
};

static const char *first(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return val_text(v);
}

const char *images_job_version(const struct val *job)
{
	const char *lang = lang_canonical(first(val_map_get(job, "language")));

	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (!strcmp(defaults[i].lang, lang) && defaults[i].key)
			return first(val_map_get(job, defaults[i].key));
	if (!strcmp(lang, "c") || !strcmp(lang, "cpp"))
		return first(val_map_get(job, "compiler"));
	return NULL;
}

/* Docker Hub tags for Travis's version aliases. */
static const char *version_tag(const char *lang, const char *v, char *tmp,
			       size_t size)
{
	if (!v)
		return NULL;
	if (!strcmp(lang, "java")) {
		/* openjdk8, oraclejdk11 -> 8, 11 */
		const char *p = v;

		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (*p) {
			snprintf(tmp, size, "%s", p);
			return tmp;
		}
		return NULL;
	}
	if (!strcmp(v, "stable") || !strcmp(v, "latest") ||
	    !strcmp(v, "node") || !strcmp(v, "lts/*") ||
	    !strcmp(v, "nightly") || !strcmp(v, "beta") || !strcmp(v, "master"))
		return strcmp(lang, "node_js") || strcmp(v, "lts/*") ? "latest"
								     : "lts";
	if (!strncmp(v, "pypy", 4))
		return NULL;
	if (!strcmp(lang, "python") && strstr(v, "-dev")) {
		snprintf(tmp, size, "%.*s-rc", (int)(strstr(v, "-dev") - v), v);
		return tmp;
	}
	return v;
}

static void subst(struct buf *out, const char *tpl, const char *version,
		  const char *os, const char *dist, const char *lang)
{
	const char *dv = "22.04";

	for (size_t i = 0; i < ARRAY_SIZE(ubuntu); i++)
		if (dist && !strcmp(ubuntu[i].dist, dist))
			dv = ubuntu[i].version;
	while (*tpl) {
		if (!strncmp(tpl, "{version}", 9)) {
			buf_addstr(out, version ? version : "latest");
			tpl += 9;
		} else if (!strncmp(tpl, "{dist_version}", 14)) {
			buf_addstr(out, dv);
			tpl += 14;
		} else if (!strncmp(tpl, "{dist}", 6)) {
			buf_addstr(out, dist ? dist : "");
			tpl += 6;
		} else if (!strncmp(tpl, "{os}", 4)) {
			buf_addstr(out, os ? os : "");
			tpl += 4;
		} else if (!strncmp(tpl, "{language}", 10)) {
			buf_addstr(out, lang ? lang : "");
			tpl += 10;
		} else {
			buf_addch(out, *tpl++);
		}
	}
}

static bool field_matches(const char *want, const char *have)
{
	size_t n;

	if (!want)
		return true;
	if (!have)
		return false;
	n = strlen(want);
	if (n && want[n - 1] == '*')
		return !strncmp(want, have, n - 1);
	return !strcmp(want, have);
}

char *images_for_job(const struct images *im, const struct val *job,
		     const char **source)
{
	const char *os = first(val_map_get(job, "os"));
	const char *dist = first(val_map_get(job, "dist"));
	const char *language = first(val_map_get(job, "language"));
	const char *lang = lang_canonical(language);
	const char *version = images_job_version(job);
	struct buf b = BUF_INIT;
	char tmp[64];

	if (!os)
		os = "linux";
	if (im && im->override) {
		if (source)
			*source = "--image";
		subst(&b, im->override, version, os, dist, language);
		return buf_detach(&b, NULL);
	}
	for (size_t i = 0; im && i < im->n; i++) {
		const struct image_rule *r = &im->rules[i];

		if (field_matches(r->os, os) && field_matches(r->dist, dist) &&
		    (field_matches(r->language, language) ||
		     (r->language && !strcmp(r->language, lang))) &&
		    field_matches(r->version, version)) {
			if (source)
				*source = "config";
			subst(&b, r->image, version, os, dist, language);
			return buf_detach(&b, NULL);
		}
	}
	if (source)
		*source = "default";
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		const char *tag;

		if (strcmp(defaults[i].lang, lang))
			continue;
		tag = version_tag(lang, version, tmp, sizeof(tmp));
		if (!tag) {
			buf_addstr(&b, defaults[i].fallback);
			return buf_detach(&b, NULL);
		}
		subst(&b, defaults[i].image, tag, os, dist, language);
		return buf_detach(&b, NULL);
	}
	subst(&b, "ubuntu:{dist_version}", NULL, os, dist, language);
	return buf_detach(&b, NULL);
}

static char *opt_str(const struct val *m, const char *key)
{
	const char *t = val_text(val_map_get(m, key));

	return t ? xstrdup(t) : NULL;
}

int images_parse(struct images *im, const struct val *list)
{
	if (!list || list->type == VAL_NULL)
		return 0;
	if (list->type != VAL_SEQ)
		return err_set(FY_EINVALID,
			       "images: expected a list of rules (line %d)",
			       list->line + 1);
	for (size_t i = 0; i < list->seq.n; i++) {
		const struct val *r = list->seq.v[i];
		struct image_rule *rule;

		if (r->type != VAL_MAP || !val_text(val_map_get(r, "image")))
			return err_set(
				FY_EINVALID,
				"images: rule %zu needs an `image:` (line %d)",
				i + 1, r->line + 1);
		for (size_t k = 0; k < r->map.n; k++) {
			const char *key = r->map.v[k].key;

			if (strcmp(key, "os") && strcmp(key, "dist") &&
			    strcmp(key, "language") && strcmp(key, "version") &&
			    strcmp(key, "image"))
				return err_set(
					FY_EINVALID,
					"images: unknown key '%s' in rule %zu (line %d)",
					key, i + 1, r->map.v[k].line + 1);
		}
		XGROW(im->rules, im->alloc, im->n + 1);
		rule = &im->rules[im->n++];
		rule->os = opt_str(r, "os");
		rule->dist = opt_str(r, "dist");
		rule->language = opt_str(r, "language");
		rule->version = opt_str(r, "version");
		rule->image = opt_str(r, "image");
	}
	return 0;
}

void images_release(struct images *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->rules[i].os);
		free(im->rules[i].dist);
		free(im->rules[i].language);
		free(im->rules[i].version);
		free(im->rules[i].image);
	}
	free(im->rules);
	free(im->override);
	memset(im, 0, sizeof(*im));
}
