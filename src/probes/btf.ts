/**
 * A reader for the kernel's BTF (include/uapi/linux/btf.h): enough of it to find a struct by name
 * and the byte offset of a member, through anonymous structs and unions (`struct qstr`'s `len`
 * sits in an anonymous struct inside an anonymous union). This is what `pahole -C STRUCT` shows,
 * read without pahole, from `/sys/kernel/btf/vmlinux` or a `.BTF` section dumped from a vmlinux.
 */

const BTF_MAGIC = 0xeb9f;

/** BTF kinds (BTF_KIND_*). */
const K_INT = 1, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FUNC_PROTO = 13, K_VAR = 14, K_DATASEC = 15,
  K_DECL_TAG = 17, K_ENUM64 = 19;
const MAX_KIND = 19;

export class BtfError extends Error {}

interface Member { name: string; type: number; bitOffset: number }

interface BtfType { kind: number; name: string; members: Member[] | undefined }

/** The parsed types: ids from 1; 0 is void. */
export class Btf {
  private readonly byName = new Map<string, number[]>();

  /** `refs[i]`: the `type` field of type i + 1 (what a typedef or qualifier refers to). */
  constructor(private readonly types: BtfType[], private readonly refs: number[]) {
    types.forEach((t, i) => {
      if (t.name === '' || (t.kind !== K_STRUCT && t.kind !== K_UNION)) return;
      const list = this.byName.get(t.name);
      if (list === undefined) this.byName.set(t.name, [i + 1]);
      else list.push(i + 1);
    });
  }

  /** How many types the blob holds. */
  get size(): number {
    return this.types.length;
  }

  /**
   * The byte offset of `path` (members separated by dots: `d_name.name`) in `struct name`, or
   * undefined when the struct or a member is missing. A member of an anonymous struct or union
   * counts as a member of the one that holds it, as in C.
   */
  offsetOf(struct: string, path: string): number | undefined {
    for (const id of this.byName.get(struct) ?? []) {
      let type: number | undefined = id;
      let bits = 0;
      for (const name of path.split('.')) {
        const hit: { bits: number; type: number } | undefined = type === undefined ? undefined : this.member(type, name);
        if (hit === undefined) { type = undefined; break; }
        bits += hit.bits;
        type = this.resolve(hit.type);
      }
      if (type !== undefined && bits % 8 === 0) return bits / 8;
    }
    return undefined;
  }

  /** A member of a struct or union by name, searching anonymous members too; its bit offset from the start. */
  private member(id: number, name: string): { bits: number; type: number } | undefined {
    const t = this.types[id - 1];
    if (t?.members === undefined) return undefined;
    for (const m of t.members) if (m.name === name) return { bits: m.bitOffset, type: m.type };
    for (const m of t.members) {
      if (m.name !== '') continue;
      const inner = this.member(this.resolve(m.type), name);
      if (inner !== undefined) return { bits: m.bitOffset + inner.bits, type: inner.type };
    }
    return undefined;
  }

  /** Past typedefs and qualifiers (const, volatile, restrict, type tags) to the type they name. */
  private resolve(id: number): number {
    for (let n = 0; n < 64; n++) {
      const t = this.types[id - 1];
      if (t === undefined || t.members !== undefined || t.kind === K_INT || t.kind === K_ARRAY || t.kind === 2 /* PTR */) return id;
      if (!QUALIFIERS.has(t.kind)) return id;
      id = this.refs[id - 1]!;
    }
    return id;
  }
}

/** TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG. */
const QUALIFIERS = new Set([8, 9, 10, 11, 18]);

/** Parses a BTF blob (`/sys/kernel/btf/vmlinux`, a `.BTF` section). Throws BtfError on anything that is not BTF. */
export function parseBtf(buf: Uint8Array): Btf {
  if (buf.length < 24) throw new BtfError(`too short for a BTF header (${buf.length} bytes)`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let le = true;
  if (v.getUint16(0, true) !== BTF_MAGIC) {
    if (v.getUint16(0, false) !== BTF_MAGIC) throw new BtfError(`no BTF magic (0xeb9f) at the start: ${hex(buf.subarray(0, 4))}`);
    le = false;
  }
  const hdrLen = v.getUint32(4, le);
  const typeOff = v.getUint32(8, le), typeLen = v.getUint32(12, le), strOff = v.getUint32(16, le), strLen = v.getUint32(20, le);
  const types0 = hdrLen + typeOff, strs0 = hdrLen + strOff;
  if (types0 + typeLen > buf.length || strs0 + strLen > buf.length) throw new BtfError(`the header's sections run past the end (${buf.length} bytes)`);
  const str = (off: number): string => {
    if (off >= strLen) throw new BtfError(`a name offset ${off} past the string section (${strLen} bytes)`);
    let e = strs0 + off;
    while (e < strs0 + strLen && buf[e] !== 0) e++;
    return Buffer.from(buf.buffer, buf.byteOffset + strs0 + off, e - strs0 - off).toString('latin1');
  };
  const types: BtfType[] = [];
  const refs: number[] = [];
  let p = types0;
  const end = types0 + typeLen;
  while (p < end) {
    if (p + 12 > end) throw new BtfError(`a type cut short at byte ${p}`);
    const nameOff = v.getUint32(p, le), info = v.getUint32(p + 4, le), sizeOrType = v.getUint32(p + 8, le);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff, kindFlag = info >>> 31;
    if (kind === 0 || kind > MAX_KIND) throw new BtfError(`unknown BTF kind ${kind} at byte ${p} (type ${types.length + 1})`);
    p += 12;
    let members: Member[] | undefined;
    if (kind === K_STRUCT || kind === K_UNION) {
      members = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const off = v.getUint32(p + 8, le);
        members.push({ name: str(v.getUint32(p, le)), type: v.getUint32(p + 4, le), bitOffset: kindFlag ? off & 0xffffff : off });
      }
    } else p += extraBytes(kind, vlen);
    types.push({ kind, name: str(nameOff), members });
    refs.push(sizeOrType);
  }
  if (p !== end) throw new BtfError(`the type section ends inside a type (byte ${p} of ${end})`);
  return new Btf(types, refs);
}

/** Bytes after `struct btf_type` for the kinds without members. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case K_INT: return 4;
    case K_ARRAY: return 12;
    case K_ENUM: return vlen * 8;
    case K_FUNC_PROTO: return vlen * 8;
    case K_VAR: return 4;
    case K_DATASEC: return vlen * 12;
    case K_DECL_TAG: return 4;
    case K_ENUM64: return vlen * 12;
    default: return 0;
  }
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}
