#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "ferryconf.h"
#include "fs.h"
#include "loader.h"
#include "val.h"
#include "xalloc.h"
#include "units.h"

static const char *const known_keys[] = { "data_dir", "images",	  "network",
					  "limits",   "keys",	  "git",
					  "cache",    "aws",	  "serve",
					  "docker",   "services", NULL };

static char *default_data_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg)
		return fs_join(xdg, "ferry");
	if (!geteuid() && (!home || !strcmp(home, "/root")))
		return xstrdup("/var/lib/ferry");
	if (home && *home)
		return xasprintf("%s/.local/share/ferry", home);
	return xstrdup("/var/lib/ferry");
}

static char *expand_home(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && (p[1] == '/' || !p[1]) && home)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

static char *find_file(void)
{
	const char *env = getenv("FERRY_CONFIG");
	const char *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *p;

	if (env && *env)
		return xstrdup(env);
	if (xdg && *xdg)
		p = xasprintf("%s/ferry/config.yml", xdg);
	else if (home && *home)
		p = xasprintf("%s/.config/ferry/config.yml", home);
	else
		p = NULL;
	if (p && fs_exists(p))
		return p;
	free(p);
	if (fs_exists("/etc/ferry/config.yml"))
		return xstrdup("/etc/ferry/config.yml");
	return NULL;
}

static int conf_error(const struct ferryconf *c, const struct val *v,
		      const char *what)
{
	return err_set(FY_EINVALID, "%s:%d: %s", c->path ? c->path : "config",
		       v && v->line >= 0 ? v->line + 1 : 1, what);
}

static int read_limits(struct ferryconf *c, const struct val *limits)
{
	if (!limits)
		return 0;
	if (limits->type != VAL_MAP)
		return conf_error(c, limits, "limits: expected a map");
	for (size_t i = 0; i < limits->map.n; i++) {
		const char *k = limits->map.v[i].key;
		const char *t = val_text(limits->map.v[i].v);
		int err;

		if (!t)
			return conf_error(c, limits->map.v[i].v,
					  "limits: expected a value");
		if (!strcmp(k, "log_silence"))
			err = units_duration(t, &c->log_silence);
		else if (!strcmp(k, "hard_limit"))
			err = units_duration(t, &c->hard_limit);
		else if (!strcmp(k, "log_max"))
			err = units_size(t, &c->log_max);
		else
			return err_set(FY_EINVALID,
				       "%s:%d: limits: unknown key '%s'",
				       c->path, limits->map.v[i].line + 1, k);
		if (err < 0)
			return err_wrap(err, "%s:%d: limits.%s", c->path,
					limits->map.v[i].line + 1, k);
	}
	return 0;
}

int ferryconf_load(struct ferryconf **out, const char *path)
{
	struct ferryconf *c = xcalloc(1, sizeof(*c));
	const struct val *v;
	int err = 0;

	c->log_silence = 10 * 60;
	c->hard_limit = 50 * 60;
	c->log_max = 4 * 1024 * 1024;
	c->path = path ? xstrdup(path) : find_file();
	if (c->path) {
		err = loader_load_file(&c->doc, c->path, NULL, NULL);
		if (err < 0)
			goto fail;
	} else {
		c->doc = val_map();
	}
	for (size_t i = 0; i < c->doc->map.n; i++) {
		bool known = false;

		for (size_t k = 0; known_keys[k]; k++)
			known |= !strcmp(known_keys[k], c->doc->map.v[i].key);
		if (!known) {
			err = err_set(FY_EINVALID, "%s:%d: unknown key '%s'",
				      c->path, c->doc->map.v[i].line + 1,
				      c->doc->map.v[i].key);
			goto fail;
		}
	}
	v = val_map_get(c->doc, "data_dir");
	c->data_dir =
		val_text(v) ? expand_home(val_text(v)) : default_data_dir();
	v = val_map_get(c->doc, "network");
	if (val_text(v))
		c->network = xstrdup(val_text(v));
	err = read_limits(c, val_map_get(c->doc, "limits"));
	if (err < 0)
		goto fail;
	err = images_parse(&c->images, val_map_get(c->doc, "images"));
	if (err < 0) {
		err = err_wrap(err, "%s", c->path);
		goto fail;
	}
	{
		/* a bad cache: section is an error now, not in every job */
		struct cache_conf cc;

		err = cache_conf_parse(&cc, val_map_get(c->doc, "cache"),
				       c->data_dir);
		if (err < 0) {
			err = err_wrap(err, "%s", c->path);
			goto fail;
		}
		cache_conf_release(&cc);
	}
	*out = c;
	return 0;
fail:
	ferryconf_free(c);
	return err;
}

void ferryconf_free(struct ferryconf *c)
{
	if (!c)
		return;
	free(c->path);
	val_free(c->doc);
	images_release(&c->images);
	free(c->data_dir);
	free(c->network);
	free(c);
}

const struct val *ferryconf_section(const struct ferryconf *c, const char *name)
{
	return val_map_get(c->doc, name);
}

char *ferryconf_dir(const struct ferryconf *c, const char *sub, bool create)
{
	char *p = sub ? fs_join(c->data_dir, sub) : xstrdup(c->data_dir);

	if (create)
		fs_mkdir_p(p, 0700);
	return p;
}
