/** The README's library example is the test file that runs, character for character. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('README shows test/examples/user-property.test.ts as it is', () => {
  const readme = readFileSync('README.md', 'utf8');
  expect(readme).toContain('```ts\n' + readFileSync('test/examples/user-property.test.ts', 'utf8') + '```');
});
