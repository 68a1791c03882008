/*
 * appspec.c: the AppSpec file of an EC2/on-premises revision, read as the
 * CodeDeploy agent 1.8.1 reads it (see appspec.h).
 *
 * The YAML goes through our loader (loader.h), which follows travis-yml.
 * Three differences from Psych are undone here:
 *  - the loader drops bytes over 0x7f; valid UTF-8 is therefore escaped
 *    into ASCII before loading and restored in every key and string after;
 *  - floats and quoted scalars are both strings in the tree; the source
 *    text at the node's position tells a plain scalar from a quoted one,
 *    and a plain float is then read as Psych reads it;
 *  - lower-case yes/no/on/off stay strings; as plain scalars they are
 *    Psych's booleans here.
 */
#include "compat.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>

#include "appspec.h"
#include "appspec_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "loader.h"
#include "msg.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define APPSPEC_MAX_BYTES (4u << 20)

struct parse {
	struct appspec *spec;
	struct appspec_src src;
};

static void add_problem(struct appspec *spec, bool warning, int line0,
			const char *code, const char *fmt, ...)
	PRINTFLIKE(5, 6);

static void add_problem(struct appspec *spec, bool warning, int line0,
			const char *code, const char *fmt, ...)
{
	struct appspec_problem *p;
	struct buf b = BUF_INIT;
	va_list ap;
	size_t alloc = spec->nproblems;

	spec->problems = xrealloc(spec->problems,
				  st_mult(alloc + 1, sizeof(*spec->problems)));
	p = &spec->problems[spec->nproblems++];
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	p->warning = warning;
	p->line = line0 >= 0 ? line0 + 1 : 0;
	p->code = xstrdup(code);
	p->message = buf_detach(&b, NULL);
}

#define error_at(p, v, code, ...) \
	add_problem((p)->spec, false, (v) ? (v)->line : -1, code, __VA_ARGS__)
#define warn_at(p, line0, code, ...) \
	add_problem((p)->spec, true, line0, code, __VA_ARGS__)

/* ---- the sections ---------------------------------------------------- */

static const char *const top_keys[] = { "version", "os",
					"files",   "permissions",
					"hooks",   "file_exists_behavior",
					NULL };
static const char *const script_keys[] = { "location", "timeout", "runas",
					   "sudo", NULL };
static const char *const file_keys[] = { "source", "destination", NULL };
static const char *const perm_keys[] = { "object",  "pattern", "except", "type",
					 "owner",   "group",   "mode",	 "acls",
					 "context", NULL };

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void warn_unknown_keys(struct parse *p, const struct val *map,
			      const char *const *known, const char *where)
{
	for (size_t i = 0; i < map->map.n; i++)
		if (!in_list(map->map.v[i].key, known))
			warn_at(p, map->map.v[i].line, "unknown_key",
				"unknown key '%s' in %s (the agent ignores it)",
				map->map.v[i].key, where);
}

static void check_version(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "version");
	struct appspec_rval r;

	char *text;

	appspec_rvalue(&p->src, v, &r);
	if ((r.type == APPSPEC_R_INT && r.i == 0) ||
	    (r.type == APPSPEC_R_FLOAT && r.f == 0))
		return;
	text = appspec_ruby_to_s(&p->src, v);
	error_at(p, v ? v : root, "invalid_version",
		 "The deployment failed because an invalid version value (%s) "
		 "was entered in the application specification file. Make "
		 "sure your AppSpec file specifies \"0.0\" as the version, "
		 "and then try again.",
		 text);
	free(text);
}

static void check_os(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "os");
	struct appspec_rval r;

	char *text;

	appspec_rvalue(&p->src, v, &r);
	if (r.type == APPSPEC_R_STR && !strcmp(r.s, "linux")) {
		p->spec->os = xstrdup(r.s);
		return;
	}
	text = appspec_ruby_to_s(&p->src, v);
	error_at(p, v ? v : root, "unsupported_os",
		 "The deployment failed because the application specification "
		 "file specifies an unsupported operating system (%s). "
		 "Specify either \"linux\" or \"windows\" in the os section of "
		 "the AppSpec file, and then try again.",
		 text);
	free(text);
}

static void structure(struct parse *p, const struct val *v, const char *what)
{
	error_at(p, v, "invalid_structure", "%s", what);
}

static const char msg_no_location[] =
	"The deployment failed because the application specification file "
	"specifies a script with no location value. Specify the location in "
	"the hooks section of the AppSpec file, and then try again.";

/* Ruby's `timeout || 3600` then to_i; false when the agent fails. */
static bool script_timeout(struct parse *p, const struct val *v, long *out)
{
	struct appspec_rval r;
	long long n = 0;

	appspec_rvalue(&p->src, v, &r);
	switch (r.type) {
	case APPSPEC_R_NIL:
		n = APPSPEC_DEFAULT_TIMEOUT;
		break;
	case APPSPEC_R_BOOL:
		if (r.b)
			return false;
		n = APPSPEC_DEFAULT_TIMEOUT;
		break;
	case APPSPEC_R_INT:
		n = r.i;
		break;
	case APPSPEC_R_FLOAT:
		if (!isfinite(r.f))
			return false;
		n = r.f >= (double)LONG_MAX ? LONG_MAX : (long long)r.f;
		break;
	case APPSPEC_R_STR:
		n = appspec_ruby_to_i(r.s);
		break;
	case APPSPEC_R_SEQ:
	case APPSPEC_R_MAP:
		return false;
	}
	if (n <= 0)
		return false;
	*out = n > LONG_MAX ? LONG_MAX : (long)n;
	return true;
}

static void parse_script(struct parse *p, struct appspec_hook *h,
			 const struct val *v)
{
	const struct val *loc = val_map_get(v, "location");
	const struct val *runas = val_map_get(v, "runas");
	struct appspec_script s = { .line = v->line + 1 };
	struct appspec_rval r;
	char *text;

	if (!loc || loc->type == VAL_NULL) {
		error_at(p, v, "missing_location", msg_no_location);
		return;
	}
	text = appspec_scalar_text(&p->src, loc);
	if (!text) {
		structure(p, loc, "a script's 'location' must be a path");
		return;
	}
	s.location = appspec_ruby_strip(text);
	free(text);
	if (!*s.location) {
		error_at(p, loc, "missing_location", msg_no_location);
		free(s.location);
		return;
	}
	if (runas && runas->type != VAL_NULL) {
		text = appspec_scalar_text(&p->src, runas);
		s.runas = text ? appspec_ruby_strip(text) : NULL;
		free(text);
		if (!s.runas) {
			structure(p, runas,
				  "a script's 'runas' must be a user");
			free(s.location);
			return;
		}
	}
	appspec_rvalue(&p->src, val_map_get(v, "sudo"), &r);
	s.sudo = appspec_rtruthy(&r);
	if (!script_timeout(p, val_map_get(v, "timeout"), &s.timeout)) {
		const struct val *t = val_map_get(v, "timeout");

		error_at(p, t ? t : v, "invalid_timeout",
			 "The deployment failed because an invalid timeout "
			 "value was provided for a script in the application "
			 "specification file. Make corrections in the hooks "
			 "section of the AppSpec file, and then try again.");
		free(s.location);
		free(s.runas);
		return;
	}
	warn_unknown_keys(p, v, script_keys, "a hook script");
	h->scripts = xrealloc(h->scripts, st_mult(h->n + 1, sizeof(s)));
	h->scripts[h->n++] = s;
}

/* Events whose scripts the agent never runs (reserved or unknown). */
static const char *const reserved_events[] = { "Start",
					       "DownloadBundle",
					       "Install",
					       "BlockTraffic",
					       "AllowTraffic",
					       "End",
					       NULL };

static void hook_warnings(struct parse *p, const struct appspec_hook *h)
{
	long total = 0;

	if (in_list(h->event, reserved_events))
		warn_at(p, h->line - 1, "reserved_event",
			"scripts for '%s' never run: the agent reserves this "
			"lifecycle event",
			h->event);
	for (size_t i = 0; i < h->n; i++)
		total = h->scripts[i].timeout > LONG_MAX - total
				? LONG_MAX
				: total + h->scripts[i].timeout;
	if (total > APPSPEC_DEFAULT_TIMEOUT)
		warn_at(p, h->line - 1, "event_timeout",
			"the scripts of '%s' may take %ld s; CodeDeploy allows "
			"3600 s for all the scripts of one lifecycle event",
			h->event, total);
}

static void parse_hooks(struct parse *p, const struct val *root)
{
	const struct val *hooks = val_map_get(root, "hooks");
	struct appspec *spec = p->spec;

	if (!hooks || hooks->type == VAL_NULL)
		return;
	if (hooks->type != VAL_MAP) {
		structure(p, hooks,
			  "'hooks' must be a map of lifecycle events "
			  "to lists of scripts");
		return;
	}
	for (size_t i = 0; i < hooks->map.n; i++) {
		const struct val_pair *e = &hooks->map.v[i];
		struct appspec_hook *h;
		struct appspec_rval r;

		appspec_rvalue(&p->src, e->v, &r);
		if (!appspec_rtruthy(&r))
			continue;
		if (e->v->type != VAL_SEQ) {
			structure(p, e->v,
				  "a lifecycle event must have a list "
				  "of scripts");
			continue;
		}
		spec->hooks = xrealloc(spec->hooks,
				       st_mult(spec->nhooks + 1, sizeof(*h)));
		h = &spec->hooks[spec->nhooks++];
		memset(h, 0, sizeof(*h));
		h->event = xstrdup(e->key);
		h->line = e->line + 1;
		for (size_t k = 0; k < e->v->seq.n; k++) {
			const struct val *s = e->v->seq.v[k];

			if (s->type != VAL_MAP)
				structure(p, s,
					  "a hook script must be a map "
					  "with 'location'");
			else
				parse_script(p, h, s);
		}
		hook_warnings(p, h);
	}
}

/* Ruby's String#[] on an entry that is a string: "a source"['source']
 * is "source", so such an entry becomes {source: "source", ...}. */
static struct val *string_entry(const struct val *m)
{
	struct val *tmp = val_at(val_map(), m->line, m->col);

	if (strstr(m->str.s, "source"))
		val_map_set(tmp, "source", val_str("source"));
	if (strstr(m->str.s, "destination"))
		val_map_set(tmp, "destination", val_str("destination"));
	return tmp;
}

static void parse_file(struct parse *p, const struct val *m)
{
	const struct val *src, *dst;
	struct appspec_file f = { .line = m->line + 1 };
	struct appspec *spec = p->spec;

	if (m->type != VAL_MAP) {
		structure(p, m,
			  "a 'files' entry must be a map with "
			  "'source' and 'destination'");
		return;
	}
	src = val_map_get(m, "source");
	dst = val_map_get(m, "destination");
	if (!src || src->type == VAL_NULL) {
		error_at(p, m, "missing_source",
			 "The deployment failed because the "
			 "application specification file specifies a "
			 "destination file, but no source file. Update "
			 "the files section of the AppSpec file, and "
			 "then try again.");
		return;
	}
	f.source = appspec_scalar_text(&p->src, src);
	if (!dst || dst->type == VAL_NULL) {
		error_at(p, m, "missing_destination",
			 "The deployment failed because the "
			 "application specification file specifies "
			 "only a source file (%s). Add the name of the "
			 "destination file to the files section of the "
			 "AppSpec file, and then try again.",
			 f.source ? f.source : "");
		free(f.source);
		return;
	}
	f.destination = appspec_scalar_text(&p->src, dst);
	if (!f.source || !f.destination) {
		structure(p, m,
			  "'source' and 'destination' must be "
			  "paths");
		free(f.source);
		free(f.destination);
		return;
	}
	if (f.destination[0] != '/')
		warn_at(p, dst->line, "relative_path",
			"destination '%s' is not an absolute path (the "
			"agent resolves it from its own directory)",
			f.destination);
	warn_unknown_keys(p, m, file_keys, "a 'files' entry");
	spec->files =
		xrealloc(spec->files, st_mult(spec->nfiles + 1, sizeof(f)));
	spec->files[spec->nfiles++] = f;
}

static void parse_files(struct parse *p, const struct val *root)
{
	const struct val *files = val_map_get(root, "files");
	struct appspec_rval r;

	appspec_rvalue(&p->src, files, &r);
	if (!appspec_rtruthy(&r))
		return;
	if (files->type != VAL_SEQ) {
		structure(p, files,
			  "'files' must be a list of source and "
			  "destination pairs");
		return;
	}
	for (size_t i = 0; i < files->seq.n; i++) {
		const struct val *m = files->seq.v[i];
		struct val *tmp = m->type == VAL_STR ? string_entry(m) : NULL;

		parse_file(p, tmp ? tmp : m);
		val_free(tmp);
	}
}

/* ---- permissions ----------------------------------------------------- */

static void parse_context(struct parse *p, struct appspec_permission *perm,
			  const struct val_pair *pair)
{
	const struct val *v = pair->v;
	const struct val *type =
		v->type == VAL_MAP ? val_map_get(v, "type") : NULL;
	const struct val *range;
	struct appspec_context *c;
	struct buf b = BUF_INIT;

	if (!type || type->type == VAL_NULL) {
		appspec_inspect(&b, &p->src, v);
		add_problem(p->spec, false, pair->line, "invalid_context",
			    "The deployment failed because the application "
			    "specification file specifies an invalid context "
			    "type (%s). Update the permissions section of the "
			    "AppSpec file, and then try again.",
			    b.ptr);
		buf_release(&b);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	perm->context = c;
	c->type = appspec_scalar_text(&p->src, type);
	if (val_map_get(v, "name") && val_map_get(v, "name")->type != VAL_NULL)
		c->user = appspec_scalar_text(&p->src, val_map_get(v, "name"));
	if (val_map_get(v, "user") && !val_map_get(v, "name"))
		warn_at(p, val_map_pair(v, "user")->line, "context_user",
			"the agent reads the SELinux user from 'name', not "
			"'user'");
	range = val_map_get(v, "range");
	if (range && range->type != VAL_NULL) {
		char *text = appspec_scalar_text(&p->src, range);

		if (!text || appspec_range_parse(&c->range, text) < 0)
			error_at(p, range, "invalid_range", "%s",
				 text ? err_msg()
				      : "an SELinux range must be a string");
		free(text);
	}
	if (!c->type)
		structure(p, type, "an SELinux context type must be a string");
}

static void parse_acls(struct parse *p, struct appspec_permission *perm,
		       const struct val *v)
{
	if (v->type != VAL_SEQ) {
		structure(p, v, "'acls' must be a list of ACL entries");
		return;
	}
	perm->acls = xcalloc(v->seq.n + 1, sizeof(*perm->acls));
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct val *e = v->seq.v[i];

		if (e->type != VAL_STR && e->type != VAL_NUM) {
			structure(p, e, "an ACL entry must be a string");
			return;
		}
		if (appspec_ace_parse(&perm->acls[perm->nacls], e->str.s,
				      false) < 0) {
			error_at(p, e, "invalid_acl", "%s", err_msg());
			return;
		}
		perm->nacls++;
	}
}

static bool parse_types(struct parse *p, struct appspec_permission *perm,
			const struct val *v)
{
	if (!v || v->type == VAL_NULL) {
		svec_pushl(&perm->types, "file", "directory", NULL);
		perm->type_file = perm->type_dir = true;
		return true;
	}
	if (v->type != VAL_SEQ) {
		structure(p, v,
			  "'type' must be a list of 'file' and "
			  "'directory'");
		return false;
	}
	for (size_t i = 0; i < v->seq.n; i++) {
		const struct val *t = v->seq.v[i];
		struct appspec_rval r;

		appspec_rvalue(&p->src, t, &r);
		if (r.type != APPSPEC_R_STR ||
		    (strcmp(r.s, "file") && strcmp(r.s, "directory"))) {
			error_at(
				p, t, "invalid_type",
				"The deployment failed because the application "
				"specification filespecifies a permission for "
				"an object type not supported for permissions "
				"(%s). Update the permissions section of the "
				"AppSpec file, and then try again.",
				r.s);
			return false;
		}
		svec_push(&perm->types, r.s);
		if (r.s[0] == 'f')
			perm->type_file = true;
		else
			perm->type_dir = true;
	}
	return true;
}

static void perm_release(struct appspec_permission *perm)
{
	free(perm->object);
	free(perm->pattern);
	svec_release(&perm->except);
	svec_release(&perm->types);
	free(perm->owner);
	free(perm->group);
	free(perm->mode);
	for (size_t i = 0; i < perm->nacls; i++)
		free(perm->acls[i].name);
	free(perm->acls);
	if (perm->context) {
		free(perm->context->user);
		free(perm->context->type);
		free(perm->context->range);
		free(perm->context);
	}
}

/* The octal trap: an unquoted mode with a leading zero. */
static void mode_warning(struct parse *p, const struct val *v, const char *mode)
{
	const char *s = appspec_node_src(&p->src, v);
	size_t n;

	if (v->type != VAL_NUM || !s || s[0] != '0' ||
	    !isdigit((unsigned char)s[1]))
		return;
	n = strspn(s, "0123456789_");
	warn_at(p, v->line, "octal_mode",
		"mode %.*s is read by YAML 1.1 as the octal number %s, so the "
		"agent sets the mode %s: quote it (\"%.*s\") or drop the "
		"leading zero",
		(int)n, s, v->str.s, mode, (int)n, s);
}

static bool parse_perm_fields(struct parse *p, struct appspec_permission *perm,
			      const struct val *m)
{
	const struct val *v;
	int before = (int)p->spec->nproblems;

	v = val_map_get(m, "pattern");
	if (v && v->type != VAL_NULL)
		perm->pattern = appspec_scalar_text(&p->src, v);
	if (!perm->pattern)
		perm->pattern = xstrdup("**");
	v = val_map_get(m, "except");
	if (v && v->type != VAL_NULL) {
		if (v->type != VAL_SEQ)
			structure(p, v, "'except' must be a list of patterns");
		for (size_t i = 0; v->type == VAL_SEQ && i < v->seq.n; i++) {
			char *t = appspec_scalar_text(&p->src, v->seq.v[i]);

			if (t)
				svec_push_nodup(&perm->except, t);
		}
	}
	if (!parse_types(p, perm, val_map_get(m, "type")))
		return false;
	v = val_map_get(m, "owner");
	if (v && v->type != VAL_NULL)
		perm->owner = appspec_scalar_text(&p->src, v);
	v = val_map_get(m, "group");
	if (v && v->type != VAL_NULL)
		perm->group = appspec_scalar_text(&p->src, v);
	v = val_map_get(m, "mode");
	if (v && v->type != VAL_NULL) {
		char *t = appspec_scalar_text(&p->src, v);
		const char *code = NULL;
		int e = t ? appspec_mode_parse(&perm->mode, t, &code) : -1;

		if (!t)
			structure(p, v, "'mode' must be octal digits");
		else if (e < 0)
			error_at(p, v, code, "%s", err_msg());
		else
			mode_warning(p, v, perm->mode);
		free(t);
		if (e < 0)
			return false;
	}
	v = val_map_get(m, "acls");
	if (v && v->type != VAL_NULL)
		parse_acls(p, perm, v);
	v = val_map_get(m, "context");
	if (v && v->type != VAL_NULL)
		parse_context(p, perm, val_map_pair(m, "context"));
	for (size_t i = (size_t)before; i < p->spec->nproblems; i++)
		if (!p->spec->problems[i].warning)
			return false;
	return true;
}

static void parse_perm(struct parse *p, const struct val *m)
{
	struct appspec *spec = p->spec;
	struct appspec_permission perm = { .line = m->line + 1 };
	const struct val *obj = val_map_get(m, "object");
	char *text = NULL;

	if (obj && obj->type != VAL_NULL)
		text = appspec_scalar_text(&p->src, obj);
	if (text)
		perm.object = appspec_ruby_strip(text);
	free(text);
	if (!perm.object || !*perm.object) {
		error_at(p, obj ? obj : m, "missing_object",
			 "The deployment failed because a permission listed in "
			 "the application specification file has no object "
			 "value. Update the permissions section of the AppSpec "
			 "file, and then try again.");
		free(perm.object);
		return;
	}
	if (!parse_perm_fields(p, &perm, m)) {
		perm_release(&perm);
		return;
	}
	if (perm.object[0] != '/')
		warn_at(p, obj->line, "relative_path",
			"object '%s' is not an absolute path (the agent "
			"resolves it from its own directory)",
			perm.object);
	warn_unknown_keys(p, m, perm_keys, "a permission");
	spec->perms =
		xrealloc(spec->perms, st_mult(spec->nperms + 1, sizeof(perm)));
	spec->perms[spec->nperms++] = perm;
}

static void parse_perms(struct parse *p, const struct val *root)
{
	const struct val *perms = val_map_get(root, "permissions");
	struct appspec_rval r;

	appspec_rvalue(&p->src, perms, &r);
	if (!appspec_rtruthy(&r))
		return;
	if (perms->type != VAL_SEQ) {
		structure(p, perms, "'permissions' must be a list");
		return;
	}
	for (size_t i = 0; i < perms->seq.n; i++) {
		if (perms->seq.v[i]->type != VAL_MAP)
			structure(p, perms->seq.v[i],
				  "a permission must be a map with 'object'");
		else
			parse_perm(p, perms->seq.v[i]);
	}
}

static void parse_feb(struct parse *p, const struct val *root)
{
	const struct val *v = val_map_get(root, "file_exists_behavior");
	struct appspec_rval r;
	char *text;

	appspec_rvalue(&p->src, v, &r);
	if (r.type == APPSPEC_R_NIL)
		return;
	if (r.type == APPSPEC_R_STR) {
		if (!strcmp(r.s, "DISALLOW"))
			p->spec->file_exists_behavior = APPSPEC_DISALLOW;
		else if (!strcmp(r.s, "OVERWRITE"))
			p->spec->file_exists_behavior = APPSPEC_OVERWRITE;
		else if (!strcmp(r.s, "RETAIN"))
			p->spec->file_exists_behavior = APPSPEC_RETAIN;
	}
	if (p->spec->file_exists_behavior)
		return;
	text = appspec_ruby_to_s(&p->src, v);
	error_at(
		p, v, "invalid_file_exists_behavior",
		"The deployment failed because an invalid file_exists_behavior "
		"value (%s) was entered in the application specification "
		"file. Make sure your AppSpec file specifies one of "
		"DISALLOW,OVERWRITE,RETAIN as the file_exists_behavior, and "
		"then try again.",
		text);
	free(text);
}

/* ---- loading --------------------------------------------------------- */

/* "NAME:LINE:COL: what" from the loader: the line. */
static int yaml_line(const char *msg, const char *name)
{
	size_t n = strlen(name);
	long line;

	if (strncmp(msg, name, n) || msg[n] != ':')
		return -1;
	line = strtol(msg + n + 1, NULL, 10);
	return line > 0 && line < INT_MAX ? (int)line - 1 : -1;
}

/* The loader's duplicate_key messages, as warnings. */
static void duplicate_warning(struct parse *p, const struct val *root,
			      const struct msg *m)
{
	const char *key = val_strv(val_map_get(m->args, "key"));
	const struct val_pair *pair;
	int line = m->line;

	if (strcmp(m->code, "duplicate_key") || !key)
		return;
	pair = !strcmp(m->key, "root") && root->type == VAL_MAP
		       ? val_map_pair(root, key)
		       : NULL;
	if (pair)
		line = pair->line;
	warn_at(p, line, "duplicate_key",
		"key '%s' is given more than once (in %s): the agent uses the "
		"last value",
		key, m->key);
}

static void parse_doc(struct parse *p, const struct val *root)
{
	check_version(p, root);
	check_os(p, root);
	parse_hooks(p, root);
	parse_files(p, root);
	parse_perms(p, root);
	parse_feb(p, root);
	warn_unknown_keys(p, root, top_keys, "the appspec");
}

int appspec_load(struct appspec **out, const char *text, size_t len,
		 const char *name)
{
	struct appspec *spec = xcalloc(1, sizeof(*spec));
	struct parse p = { .spec = spec, .src = { .esc = BUF_INIT } };
	struct msgs msgs = MSGS_INIT;
	struct val *root = NULL;

	if (appspec_yaml_load(&root, &p.src, text, len, name, &msgs) < 0) {
		add_problem(spec, false, yaml_line(err_msg(), name), "yaml",
			    "%s", err_msg());
		goto out;
	}
	for (size_t i = 0; i < msgs.n; i++)
		duplicate_warning(&p, root, &msgs.v[i]);
	if (root->type == VAL_MAP && !root->map.n && root->line < 0)
		add_problem(spec, false, -1, "empty",
			    "The deployment failed because the application "
			    "specification file was empty. Make sure your "
			    "AppSpec file defines at minimum the 'version' "
			    "and 'os' properties.");
	else
		parse_doc(&p, root);
out:
	val_free(root);
	msgs_release(&msgs);
	appspec_src_release(&p.src);
	*out = spec;
	return 0;
}

int appspec_load_file(struct appspec **out, const char *path)
{
	struct buf text = BUF_INIT;
	int err;

	buf_set_limit(&text, APPSPEC_MAX_BYTES);
	err = fs_read_file(&text, path);
	if (err == FY_ETOOBIG)
		err = err_set(FY_ETOOBIG, "'%s' is larger than 4 MiB", path);
	if (!err)
		err = appspec_load(out, text.ptr, text.len, path);
	buf_release(&text);
	return err;
}

void appspec_free(struct appspec *spec)
{
	if (!spec)
		return;
	free(spec->os);
	for (size_t i = 0; i < spec->nhooks; i++) {
		for (size_t k = 0; k < spec->hooks[i].n; k++) {
			free(spec->hooks[i].scripts[k].location);
			free(spec->hooks[i].scripts[k].runas);
		}
		free(spec->hooks[i].scripts);
		free(spec->hooks[i].event);
	}
	free(spec->hooks);
	for (size_t i = 0; i < spec->nfiles; i++) {
		free(spec->files[i].source);
		free(spec->files[i].destination);
	}
	free(spec->files);
	for (size_t i = 0; i < spec->nperms; i++)
		perm_release(&spec->perms[i]);
	free(spec->perms);
	for (size_t i = 0; i < spec->nproblems; i++) {
		free(spec->problems[i].code);
		free(spec->problems[i].message);
	}
	free(spec->problems);
	free(spec);
}

const struct appspec_problem *appspec_error(const struct appspec *spec)
{
	for (size_t i = 0; i < spec->nproblems; i++)
		if (!spec->problems[i].warning)
			return &spec->problems[i];
	return NULL;
}

const struct appspec_hook *appspec_hook(const struct appspec *spec,
					const char *event)
{
	/* A repeated key keeps its last value, as a Ruby hash does. */
	for (size_t i = spec->nhooks; i-- > 0;)
		if (!strcmp(spec->hooks[i].event, event))
			return spec->hooks[i].n ? &spec->hooks[i] : NULL;
	return NULL;
}

size_t appspec_unknown_events(const struct appspec *spec,
			      const char *const *events, struct svec *unknown)
{
	size_t n = 0;

	for (size_t i = 0; i < spec->nhooks; i++) {
		if (in_list(spec->hooks[i].event, events) ||
		    svec_has(unknown, spec->hooks[i].event))
			continue;
		svec_push(unknown, spec->hooks[i].event);
		n++;
	}
	return n;
}

const char *appspec_feb_name(enum appspec_feb feb)
{
	switch (feb) {
	case APPSPEC_FEB_UNSET:
		return NULL;
	case APPSPEC_DISALLOW:
		return "DISALLOW";
	case APPSPEC_OVERWRITE:
		return "OVERWRITE";
	case APPSPEC_RETAIN:
		return "RETAIN";
	}
	return NULL;
}

enum appspec_feb appspec_feb_parse(const char *name)
{
	if (!strcasecmp(name, "DISALLOW"))
		return APPSPEC_DISALLOW;
	if (!strcasecmp(name, "OVERWRITE"))
		return APPSPEC_OVERWRITE;
	if (!strcasecmp(name, "RETAIN"))
		return APPSPEC_RETAIN;
	return APPSPEC_FEB_UNSET;
}

/* ---- output ---------------------------------------------------------- */

static struct val *str_or_null(const char *s)
{
	return s ? val_str(s) : val_null();
}

static struct val *svec_to_val(const struct svec *s)
{
	struct val *seq = val_seq();

	for (size_t i = 0; i < s->n; i++)
		val_seq_push(seq, val_str(s->v[i]));
	return seq;
}

static struct val *hooks_to_val(const struct appspec *spec)
{
	struct val *hooks = val_map();

	for (size_t i = 0; i < spec->nhooks; i++) {
		const struct appspec_hook *h = &spec->hooks[i];
		struct val *list = val_seq();

		for (size_t k = 0; k < h->n; k++) {
			const struct appspec_script *s = &h->scripts[k];
			struct val *m = val_map();

			val_map_set(m, "location", val_str(s->location));
			val_map_set(m, "timeout", val_numi(s->timeout));
			val_map_set(m, "runas", str_or_null(s->runas));
			if (s->sudo)
				val_map_set(m, "sudo", val_bool(true));
			val_seq_push(list, m);
		}
		val_map_set(hooks, h->event, list);
	}
	return hooks;
}

static struct val *perm_to_val(const struct appspec_permission *perm)
{
	struct val *m = val_map();

	val_map_set(m, "object", val_str(perm->object));
	val_map_set(m, "pattern", val_str(perm->pattern));
	val_map_set(m, "except", svec_to_val(&perm->except));
	val_map_set(m, "type", svec_to_val(&perm->types));
	val_map_set(m, "owner", str_or_null(perm->owner));
	val_map_set(m, "group", str_or_null(perm->group));
	val_map_set(m, "mode", str_or_null(perm->mode));
	if (perm->acls) {
		struct val *acls = val_seq();

		for (size_t k = 0; k < perm->nacls; k++)
			val_seq_push(acls, val_str_take(appspec_ace_format(
						   &perm->acls[k])));
		val_map_set(m, "acls", acls);
	}
	if (perm->context) {
		struct val *c = val_map();

		val_map_set(c, "name", str_or_null(perm->context->user));
		val_map_set(c, "type", str_or_null(perm->context->type));
		val_map_set(c, "range", str_or_null(perm->context->range));
		val_map_set(m, "context", c);
	}
	return m;
}

struct val *appspec_to_val(const struct appspec *spec)
{
	struct val *doc = val_map(), *files = val_seq(), *perms = val_seq();
	struct val *problems = val_seq();

	val_map_set(doc, "valid", val_bool(!appspec_error(spec)));
	val_map_set(doc, "os", str_or_null(spec->os));
	val_map_set(doc, "file_exists_behavior",
		    str_or_null(appspec_feb_name(spec->file_exists_behavior)));
	val_map_set(doc, "hooks", hooks_to_val(spec));
	for (size_t i = 0; i < spec->nfiles; i++) {
		struct val *m = val_map();

		val_map_set(m, "source", val_str(spec->files[i].source));
		val_map_set(m, "destination",
			    val_str(spec->files[i].destination));
		val_seq_push(files, m);
	}
	val_map_set(doc, "files", files);
	for (size_t i = 0; i < spec->nperms; i++)
		val_seq_push(perms, perm_to_val(&spec->perms[i]));
	val_map_set(doc, "permissions", perms);
	for (size_t i = 0; i < spec->nproblems; i++) {
		const struct appspec_problem *pr = &spec->problems[i];
		struct val *m = val_map();

		val_map_set(m, "level",
			    val_str(pr->warning ? "warning" : "error"));
		val_map_set(m, "line",
			    pr->line ? val_numi(pr->line) : val_null());
		val_map_set(m, "code", val_str(pr->code));
		val_map_set(m, "message", val_str(pr->message));
		val_seq_push(problems, m);
	}
	val_map_set(doc, "problems", problems);
	return doc;
}
