#ifndef FY_FERRYCONF_H
#define FY_FERRYCONF_H

#include "compat.h"

#include "images.h"

struct val;

/*
 * ferry's own configuration file (YAML), found at --config, $FERRY_CONFIG,
 * ~/.config/ferry/config.yml or /etc/ferry/config.yml (the first that
 * exists; none is fine).  Top-level keys (README "Configuration"):
 *
 *   data_dir:  where ferry keeps keys, settings, caches, git mirrors and
 *              run logs (default ~/.local/share/ferry, /var/lib/ferry
 *              for root)
 *   images:    rules mapping jobs to Docker images (images.h)
 *   network:   Docker network mode of job containers (default: the
 *              engine's default; `host` to reach servers on loopback)
 *   limits:    log_silence (10m), hard_limit (50m), log_max (4MiB)
 *   keys, git, cache, aws, serve: sections read by those features
 *
 * Unknown top-level keys are errors with the file and line.
 */
struct ferryconf {
	char *path;	 /* the file loaded, or NULL for the defaults */
	struct val *doc; /* the whole file (a map, empty for defaults) */
	struct images images;
	char *data_dir;
	char *network;	  /* NULL: the engine's default */
	long log_silence; /* seconds */
	long hard_limit;  /* seconds */
	size_t log_max;	  /* bytes */
};

int ferryconf_load(struct ferryconf **out, const char *path);
void ferryconf_free(struct ferryconf *c);

/* A section of the file (NULL when absent). */
const struct val *ferryconf_section(const struct ferryconf *c,
				    const char *name);
/* data_dir/sub, created (mode 0700) when `create`. */
char *ferryconf_dir(const struct ferryconf *c, const char *sub, bool create);

#endif
