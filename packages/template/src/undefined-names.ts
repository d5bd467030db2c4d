/**
 * Who is told about the top-level variables a render reads that are not defined (see
 * `RenderOptions.onUndefinedName`). Rendering is synchronous from start to end (nunjucks without
 * callbacks), so the listener of the render in progress is the one set here; a render nested in
 * another (a lazily rendered variable, an include) keeps its caller's listener.
 */
let listener: ((name: string) => void) | undefined;

/** Runs `render` with `onName` told of every undefined top-level variable it reads. */
export function withUndefinedNames<T>(onName: ((name: string) => void) | undefined, render: () => T): T {
  if (!onName) return render();
  const outer = listener;
  listener = onName;
  try {
    return render();
  } finally {
    listener = outer;
  }
}

/** Tells the listener of the render in progress that `name` is read and not defined. */
export function noteUndefinedName(name: string): void {
  listener?.(name);
}
