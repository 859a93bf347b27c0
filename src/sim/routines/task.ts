/**
 * A task's program: each operation's syscall (stat → lookup_slow, open(O_CREAT) → lookup_open,
 * mkdir → lookup_one_qstr_excl, a rename within one directory → two of those under one lock), its exit, and the task's exit once every operation is done.
 */
import { LOOKUP_SHARED } from '../state.js';
import { defineRoutine } from '../routine-table.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** A task's program: the next operation's syscall, its exit, the task's exit. */
    task: 'start' | 'syscall-exit' | 'exit';
  }
}

export const task = defineRoutine('task', {
  start(x) {
    const op = x.sc.tasks[x.i]!.ops[x.t.op]!;
    const { v } = x;
    const order = x.sc.order;
    v.dir = op.dir;
    v.name = op.name;
    if (op.kind === 'stat') {
      v.flags = LOOKUP_SHARED;
      v.mode = 'R';
      x.call('lookup_slow', { dir: op.dir, name: op.name, flags: LOOKUP_SHARED });
      x.enter(order === 'new' ? 'lookup_slow:dap' : 'lookup_slow:lock', 'task:syscall-exit');
    } else if (op.kind === 'open_creat') {
      v.flags = 0;
      v.mode = 'W';
      x.call('lookup_open', { dir: op.dir, name: op.name, flags: 0 });
      x.enter(order === 'new' ? 'lookup_slow:dap' : 'lookup_slow:lock', 'task:syscall-exit');
    } else {
      v.flags = 0;
      v.mode = 'W';
      x.enter('lookup_one_qstr_excl:lock', 'task:syscall-exit');
    }
  },
  'syscall-exit'(x) {
    const { t } = x;
    x.emit('syscall_exit');
    t.v = {};
    t.op++;
    x.goto(t.op < x.sc.tasks[x.i]!.ops.length ? 'task:start' : 'task:exit');
  },
  exit(x) {
    x.emit('task_exit');
    x.t.status = 'done';
  },
});
