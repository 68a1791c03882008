#ifndef FY_IMAGES_H
#define FY_IMAGES_H

#include "compat.h"

struct val;

/*
 * Which Docker image runs a job.  Rules are tried in order: `--image`,
 * then the rules of the ferry config file (`images:`), then the defaults
 * (official language images on Docker Hub, an Ubuntu image per dist).
 * An image may use the placeholders {version} (the job's language
 * version), {dist} (e.g. focal), {dist_version} (e.g. 20.04), {os} and
 * {language}.
 *
 * A rule matches when each of its given fields equals the job's value;
 * `version` may end in `*` to match a prefix.
 */
struct image_rule {
	char *os, *dist, *language, *version;
	char *image;
};

struct images {
	struct image_rule *rules;
	size_t n, alloc;
	char *override; /* --image */
};

/* Parse the `images:` list of a ferry config file (a seq of maps). */
int images_parse(struct images *im, const struct val *list);
void images_release(struct images *im);

/*
 * The image for `job` (a normalised job config); *source (may be NULL)
 * says where it came from: "--image", "config", or "default".
 */
char *images_for_job(const struct images *im, const struct val *job,
		     const char **source);

/* The language version of a job (first value of python:, node_js: ...). */
const char *images_job_version(const struct val *job);

#endif
