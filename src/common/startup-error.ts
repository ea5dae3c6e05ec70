/**
 * A start-up failure the operator fixes with a setting: its message is one line that names the setting
 * (PORT, DATABASE_URL...), printed without a stack trace by main.ts and the CLI.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
