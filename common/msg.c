#include "compat.h"

#include "buf.h"
#include "error.h"
#include "json.h"
#include "msg.h"
#include "val.h"
#include "xalloc.h"

void msgs_release(struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].code);
		free(m->v[i].key);
		val_free(m->v[i].args);
	}
	free(m->v);
	m->v = NULL;
	m->n = m->alloc = 0;
}

struct msg *msgs_add(struct msgs *m, enum msg_level level, const char *code,
		     const char *key, int line, struct val *args)
{
	struct msg *msg;

	if (!args)
		args = val_map();
	if (!key || !*key)
		key = "root";
	/* travis-yml keeps a message once, however often it is raised. */
	for (size_t i = 0; i < m->n; i++) {
		msg = &m->v[i];
		if (msg->level == level && msg->line == line &&
		    !strcmp(msg->code, code) && !strcmp(msg->key, key) &&
		    val_equal(msg->args, args)) {
			val_free(args);
			return msg;
		}
	}
	XGROW(m->v, m->alloc, m->n + 1);
	msg = &m->v[m->n++];
	msg->level = level;
	msg->code = xstrdup(code);
	msg->key = xstrdup(key);
	msg->line = line;
	msg->src = 0;
	msg->args = args;
	return msg;
}

struct msg *msgs_addv(struct msgs *m, enum msg_level level, const char *code,
		      const char *key, int line, ...)
{
	struct val *args = val_map();
	const char *name;
	va_list ap;

	va_start(ap, line);
	while ((name = va_arg(ap, const char *))) {
		struct val *v = va_arg(ap, struct val *);

		val_map_set(args, name, v ? v : val_null());
	}
	va_end(ap);
	return msgs_add(m, level, code, key, line, args);
}

const char *msg_level_name(enum msg_level level)
{
	switch (level) {
	case MSG_INFO:
		return "info";
	case MSG_WARN:
		return "warn";
	case MSG_ERROR:
		return "error";
	case MSG_ALERT:
		return "alert";
	}
	BUG("bad message level %d", (int)level);
}

bool msgs_has_error(const struct msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].level == MSG_ERROR)
			return true;
	return false;
}

struct val *msg_to_val(const struct msg *msg)
{
	struct val *v = val_map();

	val_map_set(v, "level", val_str(msg_level_name(msg->level)));
	val_map_set(v, "code", val_str(msg->code));
	val_map_set(v, "key", val_str(msg->key));
	val_map_set(v, "args", val_dup(msg->args));
	val_map_set(v, "type", val_str("config"));
	if (msg->line >= 0)
		val_map_set(v, "line", val_numi(msg->line));
	return v;
}

/* Travis's message texts, with %{name} replaced by the argument. */
static const struct {
	const char *code;
	const char *text;
} msg_texts[] = {
	{ "alias_key",
	  "the key %{alias} is an alias for %{key}, using %{key}" },
	{ "alias_value",
	  "the value %{alias} is an alias for %{value}, using %{value}" },
	{ "overwrite",
	  "both %{key} and %{other} given. %{key} overwrites %{other}" },
	{ "default", "missing %{key}, using the default %{default}" },
	{ "deprecated", "deprecated: %{info}" },
	{ "deprecated_key", "deprecated key: %{key} (%{info})" },
	{ "deprecated_value", "deprecated value: %{value} (%{info})" },
	{ "downcase", "using lower case of %{value}" },
	{ "duplicate", "duplicate values: %{values}" },
	{ "duplicate_key", "duplicate key: %{key}" },
	{ "edge", "this key is experimental and might change or be removed" },
	{ "flagged", "please email support@travis-ci.com to enable %{key}" },
	{ "required", "missing required key: %{key}" },
	{ "secure", "expected an encrypted string" },
	{ "empty", "dropping empty key: %{key}" },
	{ "find_key",
	  "key %{original} is not known, but %{key} is, using %{key}" },
	{ "find_value",
	  "value %{original} is not known, but %{value} is, using %{value}" },
	{ "clean_key",
	  "key %{original} contains unsupported characters, using %{key}" },
	{ "clean_value",
	  "value %{original} is not known, but %{value} is, using %{value}" },
	{ "strip_key", "key %{original} contains whitespace, using %{key}" },
	{ "underscore_key",
	  "key %{original} is not underscored, using %{key}" },
	{ "unexpected_seq",
	  "unexpected sequence, using the first value (%{value})" },
	{ "unknown_key", "unknown key %{key} (%{value})" },
	{ "unknown_value", "dropping unknown value: %{value}" },
	{ "unknown_var", "unknown template variable %{var}" },
	{ "unsupported",
	  "%{key} (%{value}) is not supported on %{on_key} %{on_value}" },
	{ "invalid_type",
	  "dropping unexpected %{actual}, expected %{expected} (%{value})" },
	{ "invalid_secure", "invalid value on secure string: %{value}" },
	{ "invalid_format", "dropping invalid format %{value}" },
	{ "invalid_condition", "invalid condition: %{condition} (%{message})" },
	{ "invalid_env_var", "invalid env var: %{var}" },
	{ "skip_allow_failure",
	  "skipping jobs allow failure rule #%{number} because its condition does not match: %{condition}" },
	{ "skip_exclude",
	  "skipping jobs exclude rule #%{number} because its condition does not match: %{condition}" },
	{ "skip_import",
	  "skipping import %{source} because its condition does not match: %{condition}" },
	{ "skip_job",
	  "skipping job #%{number} because its condition does not match: %{condition}" },
	{ "skip_stage",
	  "skipping stage #%{number} because its condition does not match: %{condition}" },
	{ "unknown_import", "import not found: %{source}" },
	{ "import_cycle", "import cycle: %{chain}" },
	{ "too_many_imports", "too many imports, max: %{max}" },
	{ "duplicate_import", "duplicate import: %{source}" },
};

static void add_arg(struct buf *b, const struct val *v)
{
	const char *t = val_text(v);

	if (v && v->type == VAL_SECURE) {
		buf_addstr(b, "[secure]");
	} else if (t) {
		buf_addstr(b, t);
	} else if (v && v->type != VAL_NULL) {
		char *j = json_dump(v, 0);

		buf_addstr(b, j);
		free(j);
	}
}

char *msg_format(const struct msg *msg)
{
	char *text = msg_text(msg);
	char *s = xasprintf("[%s] on %s: %s", msg_level_name(msg->level),
			    msg->key, text);

	free(text);
	return s;
}

char *msg_text(const struct msg *msg)
{
	struct buf b = BUF_INIT;
	const char *text = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(msg_texts); i++)
		if (!strcmp(msg_texts[i].code, msg->code))
			text = msg_texts[i].text;
	if (!text) {
		buf_addstr(&b, msg->code);
		return buf_detach(&b, NULL);
	}
	while (*text) {
		const char *close;

		if (text[0] == '%' && text[1] == '{' &&
		    (close = strchr(text, '}'))) {
			char *name =
				xmemdupz(text + 2, (size_t)(close - text - 2));

			add_arg(&b, val_map_get(msg->args, name));
			free(name);
			text = close + 1;
		} else {
			buf_addch(&b, *text++);
		}
	}
	return buf_detach(&b, NULL);
}
