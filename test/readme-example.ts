/** The marker in README.md that precedes the library example (a ```ts block). */
export const EXAMPLE_MARKER = "<!-- library-example: run by test/e2e/library.test.ts -->";

/** The TypeScript code block that follows the marker in the README's text. */
export function readmeExample(readme: string): string {
  const at = readme.indexOf(EXAMPLE_MARKER);
  if (at < 0) throw new Error(`README.md has no ${EXAMPLE_MARKER}`);
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(at + EXAMPLE_MARKER.length));
  if (!m?.[1]) throw new Error("README.md: no ```ts block after the library-example marker");
  return m[1];
}
