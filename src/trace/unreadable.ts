/**
 * What a decoder throws for a valid compressed file it lacks a feature for (an xz integrity check
 * XZ Embedded does not read) or will not read (a zstd window past the `zstd` tool's own limit):
 * not damage, and its message names the command that reads the file. input.ts says so (KV309), or,
 * after data that decoded, reads the input as cut there.
 */
export class UnreadableStream extends Error {}
