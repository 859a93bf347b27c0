/* The struct layouts kinv probes reads, cut down from Linux 6.1 (include/linux/fs.h, dcache.h,
 * namei.c): the members the probe set uses keep their 6.1 offsets on x86_64, the rest is padding.
 * Compiled with gcc -g and encoded by pahole -J into the BTF fixture. */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long atomic_long_t;
struct list_head { struct list_head *next, *prev; };
struct optimistic_spin_queue { int tail; };
typedef struct { int raw; } raw_spinlock_t;
struct rw_semaphore {
	atomic_long_t count;
	atomic_long_t owner;
	struct optimistic_spin_queue osq;
	raw_spinlock_t wait_lock;
	struct list_head wait_list;
};
struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};
struct inode;
struct dentry {
	unsigned int d_flags;
	int d_seq;
	void *d_hash[2];
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	unsigned char d_iname[32];
};
struct inode {
	unsigned short i_mode;
	unsigned short i_opflags;
	unsigned int i_uid, i_gid, i_flags;
	void *i_acl, *i_default_acl, *i_op, *i_sb, *i_mapping, *i_security;
	unsigned long i_ino;
	union { const unsigned int i_nlink; unsigned int __i_nlink; };
	unsigned int i_rdev;
	long long i_size;
	long long i_atime[2], i_mtime[2], i_ctime[2];
	unsigned int i_lock;
	unsigned short i_bytes;
	unsigned char i_blkbits, i_write_hint;
	unsigned long long i_blocks;
	unsigned long i_state;
	struct rw_semaphore i_rwsem;
	unsigned long dirtied_when : 48, dirtied_time_when : 16;
};
struct vfsmount;
struct path { struct vfsmount *mnt; struct dentry *dentry; };
struct nameidata {
	struct path path;
	struct qstr last;
	struct path root;
	struct inode *inode;
	unsigned int flags, state;
};
struct nameidata nd; struct inode in; struct dentry de;
