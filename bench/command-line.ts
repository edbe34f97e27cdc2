import { parseArgs } from 'node:util';

// The options of a benchmark or drill command, read the same way by each: --help prints the usage and exits 0; an
// unknown option or a bad value prints what is wrong and the usage, and exits 2.

export type CommandLine = {
  /** A whole number from `min` to `max`, or `fallback` when the option is not given. */
  wholeNumber(name: string, fallback: number, min: number, max: number): number;
  /** A number above 0 and at most 1, or `fallback` when the option is not given. */
  fraction(name: string, fallback: number): number;
  /** One of `choices`, or `fallback` (which may be none) when the option is not given. */
  oneOf<T extends string, F extends T | undefined>(name: string, choices: readonly T[], fallback: F): T | F;
  /** Whether a switch (an option without a value) is given. */
  flag(name: string): boolean;
};

/** `names`: the options that take a value; `flags`: the switches. */
export function commandLine(command: string, usage: string, args: string[], names: readonly string[], flags: readonly string[] = []): CommandLine {
  const fail = (message: string): never => {
    console.error(`${command}: ${message}\n${usage}`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined> = {};
  try {
    const options = Object.fromEntries([
      ...names.map((name) => [name, { type: 'string' as const }]),
      ...flags.map((name) => [name, { type: 'boolean' as const }]),
    ]);
    // No option is `multiple`, so no value is an array.
    values = parseArgs({ args, strict: true, allowPositionals: false, options: { ...options, help: { type: 'boolean', short: 'h' } } }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const given = (name: string) => values[name] as string | undefined;
  return {
    wholeNumber(name, fallback, min, max) {
      const value = given(name);
      if (value === undefined) return fallback;
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) fail(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
      return Number(value);
    },
    fraction(name, fallback) {
      const value = given(name);
      if (value === undefined) return fallback;
      if (!(Number(value) > 0 && Number(value) <= 1)) fail(`--${name} must be a number above 0 and at most 1 (got ${JSON.stringify(value)})`);
      return Number(value);
    },
    oneOf(name, choices, fallback) {
      const value = given(name);
      if (value === undefined) return fallback;
      if (!(choices as readonly string[]).includes(value)) fail(`--${name} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)} (got ${JSON.stringify(value)})`);
      return value as (typeof choices)[number];
    },
    flag: (name) => values[name] === true,
  };
}
