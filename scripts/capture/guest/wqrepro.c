/*
 * wqrepro: the d_add_ci() wait-queue reproducer (traces/kernel-waitqueue/README.md).
 *
 *   wqrepro [-n TASKS] [-r ROUNDS] [-f NAMES] [-c] DIR
 *
 * DIR is a directory on an XFS made with `mkfs.xfs -n version=ci` (ASCII case-insensitive names).
 * With -c, NAMES files "WqName0".."WqName<NAMES-1>" are created in DIR first. Then, per round:
 * the dentry and inode caches are dropped (/proc/sys/vm/drop_caches = 2, so every lookup below is
 * a slow one), and TASKS processes, released together, each stat() every name under a spelling of
 * its own (task 0 the exact one, task i > 0 a case variant no other task uses). A task whose
 * spelling is not the one on disk reaches d_add_ci(), which makes the exact-case dentry in-lookup
 * on the caller's on-stack wait queue; another task looking the same name up at that moment waits
 * on that queue, and the caller's queue is then woken twice.
 * Prints one line per 10 rounds and a summary; exits 0 unless a stat() fails or a task dies.
 * No kprobes, no tracing: this is the unprobed reproducer.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TASKS 16

struct shared {
	volatile int round; /* the round the tasks may start, -1 before the first */
	volatile int done;  /* task-rounds finished */
	volatile int failed;
};

static void spell(char *out, const char *name, int variant)
{
	/* variant 0: the name as on disk; variant v > 0: letter j upper-cased iff bit (j mod 4) of
	 * v is set, lower-cased otherwise (distinct for 1..15, none equal to the on-disk "WqName") */
	size_t j, letter = 0;

	for (j = 0; name[j]; j++) {
		char c = name[j];

		if (variant && isalpha((unsigned char)c)) {
			c = (variant >> (letter % 4)) & 1 ? toupper(c) : tolower(c);
			letter++;
		}
		out[j] = c;
	}
	out[j] = 0;
}

static int drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0 || write(fd, "2\n", 2) != 2) {
		perror("wqrepro: /proc/sys/vm/drop_caches");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: wqrepro [-n TASKS (2..%d)] [-r ROUNDS] [-f NAMES (1..64)] [-c] DIR\n", MAX_TASKS);
	return 2;
}

int main(int argc, char **argv)
{
	int tasks = 6, rounds = 60, names = 8, create = 0, opt, i, r;
	struct shared *sh;
	pid_t pids[MAX_TASKS];
	const char *dir;
	char path[4096];

	while ((opt = getopt(argc, argv, "n:r:f:c")) != -1) {
		switch (opt) {
		case 'n': tasks = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'f': names = atoi(optarg); break;
		case 'c': create = 1; break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || tasks < 2 || tasks > MAX_TASKS || rounds < 1 || names < 1 || names > 64)
		return usage();
	dir = argv[optind];
	if (create) {
		for (i = 0; i < names; i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/WqName%d", dir, i);
			fd = open(path, O_CREAT | O_WRONLY, 0644);
			if (fd < 0) {
				fprintf(stderr, "wqrepro: create %s: %s\n", path, strerror(errno));
				return 1;
			}
			close(fd);
		}
		sync();
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("wqrepro: mmap");
		return 1;
	}
	sh->round = -1;
	for (i = 0; i < tasks; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("wqrepro: fork");
			return 1;
		}
		if (pids[i] == 0) {
			char name[32], spelt[32];
			struct stat st;
			int f;

			for (r = 0; r < rounds; r++) {
				while (sh->round < r)
					sched_yield();
				for (f = 0; f < names; f++) {
					snprintf(name, sizeof(name), "WqName%d", f);
					spell(spelt, name, i);
					snprintf(path, sizeof(path), "%s/%s", dir, spelt);
					if (stat(path, &st)) {
						fprintf(stderr, "wqrepro: task %d round %d: stat %s: %s\n", i, r, path, strerror(errno));
						__sync_fetch_and_add(&sh->failed, 1);
					}
				}
				__sync_fetch_and_add(&sh->done, 1);
			}
			_exit(0);
		}
	}
	for (r = 0; r < rounds; r++) {
		if (drop_caches())
			return 1;
		__sync_synchronize();
		sh->round = r;
		while (sh->done < tasks * (r + 1))
			usleep(1000);
		if ((r + 1) % 10 == 0 || r + 1 == rounds)
			printf("wqrepro: round %d of %d done\n", r + 1, rounds), fflush(stdout);
	}
	for (i = 0; i < tasks; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "wqrepro: task %d ended abnormally (status %#x)\n", i, status);
			sh->failed++;
		}
	}
	printf("wqrepro: %d tasks x %d rounds x %d names, %d failures\n", tasks, rounds, names, sh->failed);
	return sh->failed ? 1 : 0;
}
