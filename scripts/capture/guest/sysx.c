/* sysx: the syscalls busybox lacks, for the capture guest's syscalls phase (guest/lkwork
 * "syscalls"). Each mode loops N rounds in the current directory (the root of one filesystem,
 * with the wild tasks' p, p/sub, p/sub/deep and q); errors are expected (races) and ignored.
 * Built static on the host by capture.sh (gcc -static). Modes:
 *   look K N          stat/lstat/open of the names the other modes change, offset K (lookups)
 *   exchange N        renameat2 RENAME_EXCHANGE p/ea<->p/eb (a file and a directory) and p/ea<->q/ec
 *   noreplace N       renameat2 RENAME_NOREPLACE p/na->p/nb, p/nb->q/nc (q/nc existing: EEXIST), back
 *   whiteout N        renameat2 RENAME_WHITEOUT p/wa->p/wb and p/wb->q/wc (a whiteout left), rm, re-create
 *   tmpfile N         open(p, O_TMPFILE), write, linkat(fd, "", p/tmpK, AT_EMPTY_PATH) and via /proc/self/fd
 *   nodes N           mknod p/fifoI (S_IFIFO), mkfifo in q, mknod S_IFREG, S_IFCHR, unlink
 *   loops N           symlink p/la->lb, p/lb->la (ELOOP on open), p/self->self, chain q/c0..c9, readlink
 *   links N           link p/data0 -> p/hl, q/hl, p/sub/hl; unlink; link over an existing name (EEXIST)
 *   openunlink N      open p/ou, unlink it while open, fstat, fchmod, linkat of the unlinked file (ENOENT)
 *   excl K N          openat(O_CREAT|O_EXCL) of p/exI, PX spellings, while others look the names up
 *   dots N            stat . .. p/. p/.. p/sub/.. p/sub/deep/../../q, chdir p/sub, openat(dirfd, "..")
 *   cwdgone N         child chdir into p/cgI, parent rmdir; child: stat . .., openat O_CREAT, mkdir, chdir ..
 *   handle N          name_to_handle_at of p/sub/deep and p/sub/deep/d2, drop_caches 2, open_by_handle_at
 *                     (exportfs reconnect), getdents of the result
 *   attrs N           truncate/utimes/chmod/chown of p/ra (renamed p/ra<->p/rb<->q/rc by mode rename)
 *   rename N          rename p/ra -> p/rb -> q/rc -> p/ra
 *   watch DIR 1       an inotify watch on DIR (holds its inode, not its dentry), until killed
 *   dangle N          open(O_CREAT) through dangling symlinks: p/dl -> newt (created in p), p/dq ->
 *                     ../q/made (created in q), p/dd -> sub/deep/nd; O_EXCL on a symlink (EEXIST)
 *   swap N            tracked directories moved: renameat2 RENAME_EXCHANGE of p and q (both tracked:
 *                     vfs_rename locks the two subdirectories by address), of p/sub and q/xd, rename
 *                     of p/sub to q/sm and back (the moved directory locked under both parents),
 *                     rename of q/xd over an empty p/ed; an even count each, so p and q end in place
 *   subgone N         last: a child with its cwd in the tracked p/sub; the parent empties and removes
 *                     p/sub; the child then stats, creates, mkdirs, opens .. in the dead directory
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif

static int r2(const char *a, const char *b, unsigned f) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, f);
}
static void touchf(const char *p) { int fd = open(p, O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd); }
static void st(const char *p) { struct stat s; stat(p, &s); lstat(p, &s); }
static void dropc(void) { int fd = open("/proc/sys/vm/drop_caches", O_WRONLY); if (fd >= 0) { if (write(fd, "2", 1) < 0) {} close(fd); } }
static void getd(int fd) { char b[4096]; lseek(fd, 0, SEEK_SET); while (syscall(SYS_getdents64, fd, b, sizeof b) > 0) {} }

static const char *looknames[] = {
  "p/ea", "p/eb", "q/ec", "P/EA", "p/EB", "p/na", "p/nb", "q/nc", "p/NB", "p/wa", "p/wb", "q/wc", "p/WB",
  "p/tmp0", "p/fifo0", "p/reg0", "p/chr0", "q/fifo0", "p/la", "p/lb", "p/self", "q/c0", "p/hl", "q/hl",
  "p/sub/hl", "p/ou", "p/ex0", "p/ex1", "p/EX0", "p/Ex1", "p/ra", "p/rb", "q/rc", "p/RA", "p/sub/..",
  "p/..", "p/.", "p/sub/deep/..", "p/cg0", "p/cg0/..", "p/sub/deep", "p/sub/deep/d2", "p/ea/x", "p/eb/x", "p/dl", "p/newt", "q/made", "p/dq", "q/xd", "q/sm", "p/sub/deep/qq", "p/ed", "q/Other", "p/sub/x1", "p/sub/deep/y1",
};

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: sysx MODE [K] N\n"); return 2; }
  const char *m = argv[1];
  int k = argc > 3 ? atoi(argv[2]) : 0;
  int n = atoi(argv[argc - 1]);
  char a[64], b[PATH_MAX];
  int nl = (int)(sizeof looknames / sizeof *looknames);
  if (!strcmp(m, "watch")) {
    int in = inotify_init1(0);
    if (in < 0 || inotify_add_watch(in, argv[2], IN_ALL_EVENTS) < 0) { perror("sysx watch"); return 1; }
    char ev[4096];
    for (;;) if (read(in, ev, sizeof ev) <= 0) pause();
  }
  for (int i = 0; i < n; i++) {
    if (!strcmp(m, "look")) {
      for (int j = 0; j < nl; j++) {
        const char *p = looknames[(j + k * 7) % nl];
        st(p);
        int fd = open(p, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
        if (fd >= 0) close(fd);
      }
    } else if (!strcmp(m, "exchange")) {
      touchf("p/ea"); mkdir("p/eb", 0755); touchf("p/eb/x"); touchf("q/ec");
      r2("p/ea", "p/eb", RENAME_EXCHANGE);   /* a file and a directory swap */
      r2("p/ea", "p/eb", RENAME_EXCHANGE);
      r2("p/ea", "q/ec", RENAME_EXCHANGE);   /* across p and q */
      r2("q/ec", "p/ea", RENAME_EXCHANGE);
      r2("p/eb", "q/ec", RENAME_EXCHANGE);   /* a directory across */
      r2("p/eb", "q/ec", RENAME_EXCHANGE);
      r2("p/ea", "p/nonexistent", RENAME_EXCHANGE); /* ENOENT */
    } else if (!strcmp(m, "noreplace")) {
      touchf("p/na"); touchf("q/nc");
      r2("p/na", "p/nb", RENAME_NOREPLACE);
      r2("p/nb", "q/nc", RENAME_NOREPLACE);  /* EEXIST */
      unlink("q/nc");
      r2("p/nb", "q/nc", RENAME_NOREPLACE);
      r2("q/nc", "p/na", RENAME_NOREPLACE);
      r2("p/na", "p/NA", RENAME_NOREPLACE);  /* the same name on XFS CI */
      r2("p/NA", "p/na", RENAME_NOREPLACE);
      mkdir("p/nd", 0755); r2("p/nd", "q/nd", RENAME_NOREPLACE); r2("q/nd", "p/nd", RENAME_NOREPLACE); rmdir("p/nd");
    } else if (!strcmp(m, "whiteout")) {
      touchf("p/wa");
      r2("p/wa", "p/wb", RENAME_WHITEOUT);   /* p/wa becomes a whiteout (char 0:0) */
      st("p/wa");
      unlink("p/wa");
      r2("p/wb", "q/wc", RENAME_WHITEOUT);   /* across, p/wb a whiteout */
      st("p/wb"); unlink("p/wb");
      r2("q/wc", "p/wa", RENAME_WHITEOUT);
      unlink("q/wc"); unlink("p/wa");
    } else if (!strcmp(m, "tmpfile")) {
      int fd = open("p", O_TMPFILE | O_RDWR, 0600);
      if (fd >= 0) {
        if (write(fd, "t", 1) < 0) {}
        snprintf(a, sizeof a, "p/tmp%d", k);
        linkat(fd, "", AT_FDCWD, a, AT_EMPTY_PATH);
        snprintf(b, sizeof b, "/proc/self/fd/%d", fd);
        linkat(AT_FDCWD, b, AT_FDCWD, "q/tmpq", AT_SYMLINK_FOLLOW);
        close(fd);
        unlink(a); unlink("q/tmpq");
      }
      fd = open("p/sub", O_TMPFILE | O_WRONLY | O_EXCL, 0600); /* never linkable */
      if (fd >= 0) { linkat(fd, "", AT_FDCWD, "p/sub/tmpx", AT_EMPTY_PATH); close(fd); }
    } else if (!strcmp(m, "nodes")) {
      mknod("p/fifo0", S_IFIFO | 0644, 0); mkfifo("q/fifo0", 0644);
      mknod("p/reg0", S_IFREG | 0644, 0); mknod("p/chr0", S_IFCHR | 0644, makedev(1, 3));
      mknod("p/FIFO0", S_IFIFO | 0644, 0);    /* EEXIST on XFS CI */
      mknod("p/sock0", S_IFSOCK | 0644, 0);
      st("p/fifo0"); st("p/chr0");
      unlink("p/fifo0"); unlink("q/fifo0"); unlink("p/reg0"); unlink("p/chr0"); unlink("p/sock0"); unlink("p/FIFO0");
    } else if (!strcmp(m, "loops")) {
      symlink("lb", "p/la"); symlink("la", "p/lb"); symlink("self", "p/self");
      for (int c = 0; c < 10; c++) { snprintf(a, sizeof a, "q/c%d", c); snprintf(b, sizeof b, "c%d", c + 1); symlink(b, a); }
      symlink("../p/la", "q/c10");
      int fd = open("p/la", O_RDONLY); if (fd >= 0) close(fd);       /* ELOOP */
      fd = open("p/self/x", O_RDONLY | O_CREAT, 0644); if (fd >= 0) close(fd);
      fd = open("q/c0", O_RDONLY | O_CREAT, 0644); if (fd >= 0) close(fd);
      st("q/c0"); st("p/la/x");
      if (readlink("p/la", a, sizeof a) < 0) {}
      symlink("sub/deep/../../../q/Other", "p/rel");
      fd = open("p/rel", O_RDONLY); if (fd >= 0) close(fd);
      unlink("p/la"); unlink("p/lb"); unlink("p/self"); unlink("p/rel");
      for (int c = 0; c <= 10; c++) { snprintf(a, sizeof a, "q/c%d", c); unlink(a); }
    } else if (!strcmp(m, "links")) {
      link("p/data0", "p/hl"); link("p/hl", "q/hl"); link("q/hl", "p/sub/hl");
      link("p/data1", "p/HL");                /* EEXIST on XFS CI */
      link("p/sub", "p/subl");                /* EPERM: a directory */
      st("p/hl"); unlink("p/hl"); unlink("q/hl"); unlink("p/sub/hl"); unlink("p/HL");
    } else if (!strcmp(m, "openunlink")) {
      int fd = open("p/ou", O_RDWR | O_CREAT, 0644);
      if (fd >= 0) {
        struct stat s;
        unlink("p/ou");
        fstat(fd, &s); fchmod(fd, 0600); if (ftruncate(fd, 10) < 0) {}
        linkat(fd, "", AT_FDCWD, "p/ou2", AT_EMPTY_PATH);   /* ENOENT: i_nlink 0 */
        snprintf(b, sizeof b, "/proc/self/fd/%d", fd);
        linkat(AT_FDCWD, b, AT_FDCWD, "q/ou2", AT_SYMLINK_FOLLOW);
        st("p/ou");
        close(fd);
      }
      mkdir("p/oud", 0755);
      fd = open("p/oud", O_RDONLY | O_DIRECTORY);
      rmdir("p/oud");
      if (fd >= 0) { getd(fd); openat(fd, "x", O_CREAT | O_WRONLY, 0644); openat(fd, "..", O_RDONLY); close(fd); }
    } else if (!strcmp(m, "excl")) {
      for (int j = 0; j < 2; j++) {
        const char *names[] = { "p/ex", "p/EX", "p/Ex" };
        snprintf(a, sizeof a, "%s%d", names[k % 3], (i + j) % 2);
        int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) { close(fd); unlink(a); }
        fd = openat(AT_FDCWD, a, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (fd >= 0) close(fd);
        mkdir(a, 0755); rmdir(a); unlink(a);
      }
    } else if (!strcmp(m, "dots")) {
      st("."); st(".."); st("p/."); st("p/.."); st("p/sub/.."); st("p/sub/deep/../../q"); st("p/sub/./deep/./..");
      if (chdir("p/sub") == 0) {
        st(".."); st("../..");
        int d = open("deep", O_RDONLY | O_DIRECTORY);
        if (d >= 0) { int u = openat(d, "..", O_RDONLY | O_DIRECTORY); if (u >= 0) { getd(u); close(u); } close(d); }
        if (chdir("../..") < 0) {}
      }
      mkdir("p/..", 0755); rmdir("p/."); unlink("p/sub/.."); r2("p/sub/..", "p/x", 0); /* EEXIST, EINVAL, EISDIR, EBUSY */
    } else if (!strcmp(m, "cwdgone")) {
      snprintf(a, sizeof a, "p/cg%d", i % 2);
      mkdir(a, 0755); snprintf(b, sizeof b, "%s/in", a); mkdir(b, 0755);
      pid_t c = fork();
      if (c == 0) {
        if (chdir(b) < 0) _exit(0);
        for (int t = 0; t < 40; t++) {
          st("."); st(".."); st("../.."); int fd = open("f", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd);
          mkdir("sd", 0755); touchf("../g");
        }
        if (chdir("..") < 0) {}
        st("."); if (chdir("..") < 0) {}
        st("Other"); _exit(0);
      }
      usleep(2000);
      /* remove the tree under the child */
      for (int t = 0; t < 20; t++) {
        snprintf(b, sizeof b, "%s/in/f", a); unlink(b);
        snprintf(b, sizeof b, "%s/in/sd", a); rmdir(b);
        snprintf(b, sizeof b, "%s/in", a); rmdir(b);
        snprintf(b, sizeof b, "%s/g", a); unlink(b);
        if (rmdir(a) == 0) break;
      }
      waitpid(c, NULL, 0);
      snprintf(b, sizeof b, "%s/in/f", a); unlink(b); snprintf(b, sizeof b, "%s/in/sd", a); rmdir(b);
      snprintf(b, sizeof b, "%s/in", a); rmdir(b); snprintf(b, sizeof b, "%s/g", a); unlink(b); rmdir(a);
    } else if (!strcmp(m, "handle")) {
      const char *targets[] = { "p/sub/deep", "p/sub/deep/d2", "p/sub/deep/y1", "q" };
      int mfd = open(".", O_RDONLY | O_DIRECTORY);
      mkdir("p/sub/deep/d2", 0755);
      for (int t = 0; t < 4; t++) {
        struct { struct file_handle fh; unsigned char buf[MAX_HANDLE_SZ]; } h;
        int mid;
        h.fh.handle_bytes = MAX_HANDLE_SZ;
        if (name_to_handle_at(AT_FDCWD, targets[t], &h.fh, &mid, 0) < 0) continue;
        dropc();
        int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY);
        if (fd >= 0) { getd(fd); close(fd); }
        fd = open_by_handle_at(mfd, &h.fh, O_PATH);
        if (fd >= 0) close(fd);
      }
      close(mfd);
    } else if (!strcmp(m, "dangle")) {
      symlink("newt", "p/dl"); symlink("../q/made", "p/dq"); symlink("sub/deep/nd", "p/dd");
      int fd = open("p/dl", O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd);
      fd = open("p/dq", O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd);
      fd = open("p/dd", O_WRONLY | O_CREAT | O_TRUNC, 0644); if (fd >= 0) close(fd);
      fd = open("p/dl", O_WRONLY | O_CREAT | O_EXCL, 0644); if (fd >= 0) close(fd); /* EEXIST */
      st("p/newt"); st("q/made"); st("p/NEWT");
      unlink("p/newt"); unlink("q/made"); unlink("p/sub/deep/nd");
      unlink("p/dl"); unlink("p/dq"); unlink("p/dd");
    } else if (!strcmp(m, "swap")) {
      mkdir("q/xd", 0755);
      r2("p", "q", RENAME_EXCHANGE); r2("p", "q", RENAME_EXCHANGE);
      r2("p/sub", "q/xd", RENAME_EXCHANGE); r2("p/sub", "q/xd", RENAME_EXCHANGE);
      rename("p/sub", "q/sm"); rename("q/sm", "p/sub");
      r2("q", "p/sub/deep/qq", RENAME_NOREPLACE);   /* EINVAL? no: q is not an ancestor; moved and back */
      r2("p/sub/deep/qq", "q", RENAME_NOREPLACE);
      mkdir("p/ed", 0755); rename("q/xd", "p/ed"); rename("p/ed", "q/xd");
      r2("p", "p/sub/pp", 0);                       /* EINVAL: into its own subdirectory */
    } else if (!strcmp(m, "subgone")) {
      if (i > 0) break;
      int pp[2];
      if (pipe(pp) < 0) return 1;
      pid_t c = fork();
      if (c == 0) {
        char x;
        if (chdir("p/sub") < 0) _exit(0);
        close(pp[1]);
        if (read(pp[0], &x, 1) < 0) {}   /* until the parent removed p/sub */
        for (int t = 0; t < n; t++) {
          st("."); st(".."); st("x1"); st("deep"); st("X1");
          int fd = open("newf", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd);
          fd = open("newf", O_CREAT | O_EXCL | O_WRONLY, 0644); if (fd >= 0) close(fd);
          mkdir("nd", 0755); mknod("nf", S_IFIFO | 0644, 0); symlink("x", "ns"); link("../Alpha", "nl");
          r2("../Alpha", "al", RENAME_NOREPLACE); unlink("x1"); rmdir("deep");
          fd = open(".", O_RDONLY | O_DIRECTORY); if (fd >= 0) { getd(fd); close(fd); }
          fd = open(".", O_TMPFILE | O_RDWR, 0600); if (fd >= 0) close(fd);
        }
        if (chdir("..") < 0) {}
        st("sub"); _exit(0);
      }
      close(pp[0]);
      usleep(20000);
      const char *fs[] = { "p/sub/x1", "p/sub/x2", "p/sub/x3", "p/sub/x4", "p/sub/x5", "p/sub/deep/y1", "p/sub/deep/Y2", "p/sub/tmpx" };
      for (unsigned t = 0; t < sizeof fs / sizeof *fs; t++) unlink(fs[t]);
      rmdir("p/sub/deep/d2"); rmdir("p/sub/deep");
      if (rmdir("p/sub") < 0) perror("sysx subgone: rmdir p/sub");
      if (write(pp[1], "g", 1) < 0) {}
      close(pp[1]);
      waitpid(c, NULL, 0);
    } else if (!strcmp(m, "rename")) {
      touchf("p/ra");
      rename("p/ra", "p/rb"); rename("p/rb", "q/rc"); rename("q/rc", "p/ra");
      rename("p/ra", "p/RA"); rename("p/RA", "p/ra");
    } else if (!strcmp(m, "attrs")) {
      const char *names[] = { "p/ra", "p/rb", "q/rc", "p/RA" };
      for (int j = 0; j < 4; j++) {
        struct timeval tv[2] = { { 1, 0 }, { 2, 0 } };
        if (truncate(names[j], 3) < 0) {}
        utimes(names[j], tv); chmod(names[j], 0640); if (chown(names[j], 1, 1) < 0) {}
        utimensat(AT_FDCWD, names[j], NULL, AT_SYMLINK_NOFOLLOW);
      }
    } else { fprintf(stderr, "sysx: unknown mode %s\n", m); return 2; }
  }
  return 0;
}
