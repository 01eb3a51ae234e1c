/** Tests that need a variable of this process's environment set for a while (SEALFLOW_HOME, PATH, a device root). */

/**
 * Runs `f` with `vars` set in process.env (undefined: unset), then puts back
 * what each was — unset again if it was unset — also when `f` throws.
 */
export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, f: () => T | Promise<T>): Promise<T> {
  const saved = Object.entries(vars).map(([k]) => [k, process.env[k]] as const);
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
