/**
 * The floor of the cold-import benchmark: a module with nothing in it, so `node` starting up and
 * `require` itself are measured apart from any bundle.
 */

/** Does nothing. */
export async function handler(): Promise<void> {}
