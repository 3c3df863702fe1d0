// Errors the user can act on. The CLI prints their message as one line and exits 2;
// anything else is a bug and is printed with its stack.

export class UsageError extends Error {}

/** The user's input is wrong (a missing file, a bad argument), not the program. */
export class InputError extends Error {}
