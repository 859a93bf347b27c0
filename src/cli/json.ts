/**
 * One line of `--format json` output. Every object carries the schema version
 * (schema/verdicts.schema.json), so a consumer reading a stream can check it on the first line.
 */
export const JSON_VERSION = 1;

export function jsonLine(o: object): string {
  return JSON.stringify({ version: JSON_VERSION, ...o }) + '\n';
}
