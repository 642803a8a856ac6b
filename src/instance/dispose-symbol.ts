// Node 20.4+ has Symbol.asyncDispose; older 20.x lack it, and `await using` needs it. Imported by
// api.ts before its classes are defined, so their [Symbol.asyncDispose] methods get the real key.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for("nodejs.asyncDispose");
export {};
