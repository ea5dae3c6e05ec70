/** Where a CLI command writes and what it reads: the console, or a test's buffers. */
export interface CliIo {
  log(line: string): void;
  error(line: string): void;
  /** Standard input, whole (the password for create-user). */
  readInput?(): Promise<string>;
}
