/* vfs-structs.c with the struct pt_regs of arm64 (Linux 6.1), whose members tell the architecture. */
#include "vfs-structs.c"
struct user_pt_regs { u64 regs[31]; u64 sp; u64 pc; u64 pstate; };
struct pt_regs { union { struct user_pt_regs user_regs; struct { u64 regs[31]; u64 sp; u64 pc; u64 pstate; }; }; u64 orig_x0; int syscallno; u32 unused2; u64 sdei_ttbr1; u64 pmr_save; u64 stackframe[2]; u64 lockdep_hardirqs; u64 exit_rcu; };
struct pt_regs regs;
