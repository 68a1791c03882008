/*
 * ferry image: base images for build boxes without a registry.
 *
 *   ferry image bootstrap   debootstrap a Debian (or Ubuntu) root
 *                           filesystem, import it into the engine
 *   ferry image ls          list the images ferry built
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define IMAGE_LABEL   "io.ferry.image"
#define DEFAULT_DIST  "bookworm"
#define DEBIAN_MIRROR "http://deb.debian.org/debian"
#define UBUNTU_MIRROR "http://archive.ubuntu.com/ubuntu"
#define DEFAULT_INCLUDE \
	"bash,ca-certificates,curl,git,gzip,netbase,openssl,procps,sudo,tar,xz-utils"
#define TRAVIS_UID "2000"

static const char usage[] =
	"usage: ferry image bootstrap [--dist DIST] [--mirror URL]\n"
	"                             [--include PKG,...] [--tag TAG]\n"
	"       ferry image ls\n"
	"\n"
	"bootstrap builds a base image on this machine, for build boxes that\n"
	"cannot reach a registry: debootstrap --variant=minbase installs DIST\n"
	"into a temporary directory, which is packed and imported into the\n"
	"Docker engine (DOCKER_HOST) as TAG.  It prints the image id.  Needs\n"
	"root and debootstrap.\n"
	"\n"
	"  --dist DIST      a Debian or Ubuntu code name (default " DEFAULT_DIST
	")\n"
	"  --mirror URL     package archive (default " DEBIAN_MIRROR ",\n"
	"                   or " UBUNTU_MIRROR " for Ubuntu names)\n"
	"  --include PKGS   more packages, comma-separated\n"
	"  --tag TAG        image name (default ferry/debian:DIST, or\n"
	"                   ferry/ubuntu:DIST)\n"
	"  -h, --help       show this help\n"
	"\n"
	"The image holds what a Travis job script needs: minbase (bash,\n"
	"coreutils, grep, sed, tar, gzip, apt...) plus\n"
	"  " DEFAULT_INCLUDE "\n"
	"and a user 'travis' (uid " TRAVIS_UID
	", home /home/travis) with password-less\n"
	"sudo.  It sets LANG=C.UTF-8 and the label " IMAGE_LABEL "=bootstrap.\n"
	"apt's package lists and downloaded packages are not kept.\n"
	"\n"
	"ls lists the images carrying that label.\n"
	"\n"
	"Exit status: 0 ok, 2 failed, 64 usage, 130 interrupted.\n";

static const char *const ubuntu_dists[] = {
	"precise", "trusty", "xenial", "bionic",
	"focal",   "jammy",  "noble",  NULL,
};

static volatile sig_atomic_t got_signal;
static atomic_bool canceled;

static void on_signal(int sig)
{
	got_signal = sig;
	atomic_store(&canceled, true);
}

static bool is_ubuntu(const char *dist)
{
	for (size_t i = 0; ubuntu_dists[i]; i++)
		if (!strcmp(dist, ubuntu_dists[i]))
			return true;
	return false;
}

/*
 * Run argv (stdout to our stderr, so that stdout keeps only the image
 * id) and wait.  The child only calls async-signal-safe functions before
 * exec; an exec failure comes back through a close-on-exec pipe.
 */
static int run(char *const *argv, const char *what)
{
	int pipefd[2], child_errno = 0, status;
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_errno("cannot run %s", what);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_errno("cannot run %s", what);
	}
	if (!pid) {
		int e;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		dup2(2, 1);
		execvp(argv[0], argv);
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return err_errno("cannot wait for %s", what);
		if (got_signal)
			kill(pid, got_signal);
	}
	if (n == sizeof(child_errno)) {
		errno = child_errno;
		return err_errno("cannot run %s", what);
	}
	if (got_signal)
		return err_set(FY_ECANCELED, "%s interrupted", what);
	if (WIFSIGNALED(status))
		return err_set(FY_EFAIL, "%s killed by signal %d", what,
			       WTERMSIG(status));
	if (WEXITSTATUS(status))
		return err_set(FY_EFAIL, "%s failed with exit status %d", what,
			       WEXITSTATUS(status));
	return 0;
}

/* Decode a mount point of /proc/self/mountinfo (octal escapes). */
static char *unescape(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' &&
		    s[i + 1] <= '3') {
			buf_addch(&b, (s[i + 1] - '0') * 64 +
					      (s[i + 2] - '0') * 8 +
					      (s[i + 3] - '0'));
			i += 3;
			continue;
		}
		buf_addch(&b, s[i]);
	}
	return buf_detach(&b, NULL);
}

/* Mount points at or below `dir`, deepest first. */
static int mounts_below(const char *dir, struct svec *out)
{
	struct buf info = BUF_INIT;
	size_t dlen = strlen(dir);
	char *line, *save = NULL;
	int err;

	buf_set_limit(&info, 16 << 20);
	err = fs_read_file(&info, "/proc/self/mountinfo");
	if (err < 0) {
		buf_release(&info);
		return err;
	}
	for (line = info.ptr; line && *line; line = save) {
		char *nl = strchr(line, '\n');
		const char *f = line;
		char *mnt;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			f = f ? f + 1 : NULL;
		}
		if (!f)
			continue;
		mnt = unescape(f, strcspn(f, " "));
		if (!strncmp(mnt, dir, dlen) &&
		    (mnt[dlen] == '/' || !mnt[dlen]))
			svec_push_nodup(out, mnt);
		else
			free(mnt);
	}
	buf_release(&info);
	/* Longer paths first: children before their parents. */
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i;
		     j > 0 && strlen(out->v[j]) > strlen(out->v[j - 1]); j--) {
			char *t = out->v[j];

			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
	return 0;
}

/*
 * Remove the work directory; first unmount what a failed debootstrap
 * may have left mounted inside (proc, sys, bind-mounted /dev), so that
 * the removal can never reach the host's files through them.
 */
static int remove_workdir(const char *dir)
{
	struct svec mnts = SVEC_INIT;
	int err = mounts_below(dir, &mnts);

	for (size_t i = 0; !err && i < mnts.n; i++)
		if (umount2(mnts.v[i], MNT_DETACH) < 0)
			err = err_errno("cannot unmount '%s'", mnts.v[i]);
	svec_release(&mnts);
	if (!err)
		err = mounts_below(dir, &mnts);
	if (!err && mnts.n)
		err = err_set(FY_EFAIL,
			      "'%s' is still mounted; not removing "
			      "'%s'",
			      mnts.v[0], dir);
	svec_release(&mnts);
	if (!err)
		err = fs_rm_rf(dir);
	return err;
}

static int debootstrap(const char *rootfs, const char *dist, const char *mirror,
		       const char *include)
{
	struct svec argv = SVEC_INIT;
	int err;

	svec_pushl(&argv, "debootstrap", "--variant=minbase", (char *)NULL);
	svec_pushf(&argv, "--include=%s", include);
	svec_pushl(&argv, dist, rootfs, mirror, (char *)NULL);
	fprintf(stderr, "ferry: debootstrap %s from %s into %s\n", dist, mirror,
		rootfs);
	err = run(argv.v, "debootstrap");
	svec_release(&argv);
	return err;
}

/* The travis user, its sudo rule, and no apt caches. */
static int customise(const char *rootfs)
{
	static const char sudoers[] = "travis ALL=(ALL) NOPASSWD:ALL\n"
				      "Defaults !requiretty\n";
	struct svec argv = SVEC_INIT;
	char *path = NULL;
	int err;

	fprintf(stderr, "ferry: adding user travis\n");
	svec_pushl(&argv, "chroot", rootfs, "useradd", "--create-home", "--uid",
		   TRAVIS_UID, "--user-group", "--shell", "/bin/bash", "travis",
		   (char *)NULL);
	err = run(argv.v, "useradd in the new root");
	svec_release(&argv);
	if (err < 0)
		return err;
	path = fs_join(rootfs, "etc/sudoers.d");
	if (fs_is_dir(path)) {
		char *file = fs_join(path, "travis");

		err = fs_write_file(file, sudoers, strlen(sudoers), 0440);
		free(file);
	}
	free(path);
	if (err < 0)
		return err;
	{
		static const char *const caches[] = { "var/cache/apt/archives",
						      "var/lib/apt/lists" };

		for (size_t i = 0; !err && i < ARRAY_SIZE(caches); i++) {
			char *dir = fs_join(rootfs, caches[i]);

			err = fs_rm_rf(dir);
			if (!err)
				err = fs_mkdir_p(dir, 0755);
			if (!err && i == 0) {
				char *partial = fs_join(dir, "partial");

				err = fs_mkdir_p(partial, 0700);
				free(partial);
			}
			free(dir);
		}
	}
	return err;
}

struct import_progress {
	struct tarball_pack *pack;
	uint64_t next_report;
};

static int import_read(void *dst, size_t cap, size_t *got, void *payload)
{
	struct import_progress *ip = payload;
	int err = tarball_pack_read(ip->pack, dst, cap, got);

	if (!err && tarball_pack_size(ip->pack) >= ip->next_report) {
		fprintf(stderr, "ferry: importing: %llu MiB\n",
			(unsigned long long)(tarball_pack_size(ip->pack) >>
					     20));
		ip->next_report += 64 << 20;
	}
	return err;
}

static int import(struct docker *d, const char *rootfs, const char *dist,
		  const char *tag, char **id)
{
	struct tarball_opts opts = TARBALL_OPTS_INIT;
	struct import_progress ip = { NULL, 64 << 20 };
	struct svec changes = SVEC_INIT;
	int err;

	svec_push(&changes, "ENV PATH=/usr/local/sbin:/usr/local/bin:"
			    "/usr/sbin:/usr/bin:/sbin:/bin");
	svec_push(&changes, "ENV LANG=C.UTF-8");
	svec_push(&changes, "CMD [\"/bin/bash\"]");
	svec_push(&changes, "LABEL " IMAGE_LABEL "=bootstrap");
	svec_pushf(&changes, "LABEL " IMAGE_LABEL ".dist=%s", dist);
	err = tarball_pack_new(&ip.pack, &opts);
	if (!err)
		err = tarball_pack_add(ip.pack, rootfs, "");
	if (!err) {
		fprintf(stderr, "ferry: importing %s as %s\n", rootfs, tag);
		err = docker_image_import(d, import_read, &ip, tag, &changes,
					  id);
	}
	if (!err)
		fprintf(stderr, "ferry: imported %llu MiB\n",
			(unsigned long long)(tarball_pack_size(ip.pack) >> 20));
	tarball_pack_free(ip.pack);
	svec_release(&changes);
	return err;
}

static int bootstrap(const char *dist, const char *mirror, const char *include,
		     const char *tag, char **id)
{
	struct docker *d = NULL;
	char *work = NULL, *rootfs = NULL;
	int err;

	err = docker_open(&d, NULL);
	if (err < 0)
		return err;
	docker_set_cancel(d, &canceled);
	err = fs_tmpdir(&work, "ferry-bootstrap");
	if (err < 0)
		goto out;
	rootfs = fs_join(work, "rootfs");
	err = debootstrap(rootfs, dist, mirror, include);
	if (!err)
		err = customise(rootfs);
	if (!err)
		err = import(d, rootfs, dist, tag, id);
out:
	if (work) {
		char saved[1024];
		int rm;

		snprintf(saved, sizeof(saved), "%s", err_msg());
		rm = remove_workdir(work);
		if (rm < 0 && !err)
			err = rm;
		else if (rm < 0)
			fprintf(stderr, "ferry: %s\n", err_msg());
		if (err < 0 && rm == 0)
			err_set(err, "%s", saved);
	}
	free(rootfs);
	free(work);
	docker_close(d);
	return err;
}

static int cmd_bootstrap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dist", required_argument, NULL, 'd' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "include", required_argument, NULL, 'i' },
		{ "tag", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dist = DEFAULT_DIST, *mirror = NULL, *extra = NULL;
	char *tag = NULL, *include = NULL, *id = NULL;
	struct sigaction sa;
	int c, err;

	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "h", longopts, NULL);
		if (c < 0)
			break;
		switch (c) {
		case 'd':
			dist = optarg;
			break;
		case 'm':
			mirror = optarg;
			break;
		case 'i':
			extra = optarg;
			break;
		case 't':
			free(tag);
			tag = xstrdup(optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			free(tag);
			return EXIT_OK;
		default:
			free(tag);
			return cli_usage_error("image", "bad option");
		}
	}
	if (optind < argc) {
		free(tag);
		return cli_usage_error("image", "unexpected argument '%s'",
				       argv[optind]);
	}
	if (!*dist || strspn(dist, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			      strlen(dist)) {
		free(tag);
		return cli_usage_error("image", "bad --dist '%s'", dist);
	}
	if (geteuid() != 0) {
		free(tag);
		err_set(FY_EFAIL, "image bootstrap needs root (debootstrap "
				  "does)");
		return cli_error(EXIT_ERRORED);
	}
	if (!mirror)
		mirror = is_ubuntu(dist) ? UBUNTU_MIRROR : DEBIAN_MIRROR;
	if (!tag)
		tag = xasprintf("ferry/%s:%s",
				is_ubuntu(dist) ? "ubuntu" : "debian", dist);
	include = extra && *extra ? xasprintf("%s,%s", DEFAULT_INCLUDE, extra)
				  : xstrdup(DEFAULT_INCLUDE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = bootstrap(dist, mirror, include, tag, &id);
	free(include);
	free(tag);
	if (err == FY_ECANCELED || got_signal) {
		fprintf(stderr, "ferry: %s\n", err_msg());
		return EXIT_CANCELED;
	}
	if (err < 0)
		return cli_error(EXIT_ERRORED);
	printf("%s\n", id);
	free(id);
	return EXIT_OK;
}

static void print_image(const struct val *img)
{
	const struct val *tags = val_map_get(img, "RepoTags");
	const char *id = val_strv(val_map_get(img, "Id"));
	const char *size = val_text(val_map_get(img, "Size"));
	const char *created = val_text(val_map_get(img, "Created"));
	char when[32] = "";
	time_t t = created ? (time_t)strtoll(created, NULL, 10) : 0;
	struct tm tm;
	size_t n;

	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%MZ", &tm);
	if (id && !strncmp(id, "sha256:", 7))
		id += 7;
	n = val_is(tags, VAL_SEQ) ? tags->seq.n : 0;
	for (size_t i = 0; i < n || (!n && !i); i++) {
		const char *tag = n ? val_strv(tags->seq.v[i]) : NULL;

		printf("%-32s %-12.12s %8lld MiB  %s\n", tag ? tag : "<none>",
		       id ? id : "?",
		       size ? strtoll(size, NULL, 10) >> 20 : 0LL, when);
	}
}

static int cmd_ls(int argc, char **argv)
{
	struct docker *d = NULL;
	struct val *list = NULL;
	int err;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("image", "unexpected argument '%s'",
				       argv[1]);
	err = docker_open(&d, NULL);
	if (!err)
		err = docker_image_list(d, IMAGE_LABEL, &list);
	docker_close(d);
	if (err < 0)
		return cli_error(EXIT_ERRORED);
	printf("%-32s %-12s %12s  %s\n", "IMAGE", "ID", "SIZE", "CREATED");
	for (size_t i = 0; val_is(list, VAL_SEQ) && i < list->seq.n; i++)
		print_image(list->seq.v[i]);
	val_free(list);
	return EXIT_OK;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "bootstrap"))
		return cmd_bootstrap(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls"))
		return cmd_ls(argc - 1, argv + 1);
	return cli_usage_error("image", "unknown subcommand '%s'", argv[1]);
}
