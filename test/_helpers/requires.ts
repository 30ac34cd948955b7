/**
 * What a test needs from the machine (a Python interpreter with modules, root for network
 * namespaces): each probe returns why the test cannot run, or `undefined`. Tests that cannot
 * run are declared `ignore:` with the reason in their name, so Deno reports them as ignored,
 * never as passed. `.ci/run` installs what these need.
 */

/** The interpreter the Python cross-checks and the Python port use. */
export const PYTHON = "/usr/bin/python3";

/** Why `modules` cannot be imported by {@linkcode PYTHON}, or undefined when they can. */
export async function pythonMissing(modules: string[]): Promise<string | undefined> {
  try {
    const r = await new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (r.success) return undefined;
    const last = new TextDecoder().decode(r.stderr).trim().split("\n").pop();
    return `${PYTHON} cannot import ${modules.join(", ")}: ${last}`;
  } catch {
    return `${PYTHON} not found`;
  }
}

/** `name`, with the reason it is ignored appended when there is one. */
export function named(name: string, why: string | undefined): string {
  return why === undefined ? name : `${name} (ignored: ${why})`;
}
