/* vfs-structs.c with the struct pt_regs of x86_64 (Linux 6.1), whose members tell the architecture. */
#include "vfs-structs.c"
struct pt_regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss; };
struct pt_regs regs;
